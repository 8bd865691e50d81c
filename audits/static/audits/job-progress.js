// A job's page (a report, an inspection pack, a register import): poll the job's JSON once a
// second and move the progress bar, saying how far it got every 10% (not every poll, so a
// screen reader is not flooded); when the job ends, load the page again, so the server shows
// the outcome in the page's own words (the downloads, the fingerprints, every problem).
//
// The page marks the box: <div data-job-progress data-status-url="..." data-status="...">
// holding one <progress> and one role="status" element.
(function () {
  "use strict";

  var ENDED = ["done", "failed", "finished"];

  function number(value) {
    return (value || 0).toLocaleString("en-GB");
  }

  function words(job, percent) {
    if (job.total_rows === undefined) {
      return percent + "% done.";
    }
    return job.rows_checked >= job.total_rows
      ? "All " + number(job.total_rows) + " rows checked: writing them."
      : "Checked " + number(job.rows_checked) + " of " + number(job.total_rows) + " rows.";
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-job-progress]");
    if (!box || ENDED.indexOf(box.getAttribute("data-status")) !== -1) {
      return;
    }
    var bar = box.querySelector("progress");
    var text = box.querySelector("[role=status]");
    var url = box.getAttribute("data-status-url");
    var lastDecile = -1;

    function show(job) {
      if (ENDED.indexOf(job.status) !== -1) {
        window.location.reload();
        return false;
      }
      var percent = job.progress !== undefined ? job.progress : job.percent;
      bar.value = percent;
      bar.textContent = percent + "%";
      var decile = Math.floor(percent / 10);
      if (job.status === "running" && decile !== lastDecile) {
        text.textContent = words(job, percent);
        lastDecile = decile;
      }
      return true;
    }

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (job) {
          return job ? show(job) : true;
        })
        .catch(function () {
          return true;
        })
        .then(function (again) {
          if (again) {
            window.setTimeout(poll, 1000);
          }
        });
    }
    poll();
  });
})();
