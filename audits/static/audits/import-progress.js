// The register import's page: poll the job's JSON once a second, move the progress bar and
// say how far it got; when the job ends, load the page again so the server lists the
// outcome (the counts, or every problem in the error summary).
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("import-progress");
    if (!box) {
      return;
    }
    var bar = document.getElementById("import-progress-bar");
    var text = document.getElementById("import-progress-text");
    var url = box.getAttribute("data-status-url");
    var lastDecile = -1;

    function number(value) {
      return (value || 0).toLocaleString("en-GB");
    }

    function show(job) {
      if (job.status === "finished" || job.status === "failed") {
        window.location.reload();
        return false;
      }
      bar.value = job.percent;
      bar.textContent = job.percent + "%";
      var decile = Math.floor(job.percent / 10);
      if (job.status === "running" && decile !== lastDecile) {
        // Say it every 10%, not every poll, so a screen reader is not flooded.
        text.textContent =
          job.rows_checked >= job.total_rows
            ? "All " + number(job.total_rows) + " rows checked: writing them."
            : "Checked " + number(job.rows_checked) + " of " + number(job.total_rows) + " rows.";
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
