// The report page: poll the job's status once a second and move the progress bar; show
// the download links when the report is ready.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("report-progress");
    if (!box) {
      return;
    }
    var bar = document.getElementById("report-progress-bar");
    var text = document.getElementById("report-progress-text");
    var ready = document.getElementById("report-ready");
    var url = box.getAttribute("data-status-url");
    var lastStatus = box.getAttribute("data-status");
    var lastDecile = -1;

    function show(job) {
      bar.value = job.progress;
      bar.textContent = job.progress + "%";
      var decile = Math.floor(job.progress / 10);
      if (job.status === "done") {
        text.textContent = "The report is ready (version " + job.version + ").";
        ready.hidden = false;
      } else if (job.status === "failed") {
        text.textContent = "The report could not be compiled: " + (job.error || "unknown error");
      } else if (job.status === "running" && (decile !== lastDecile || lastStatus !== "running")) {
        // Announce every 10%, not every poll, so a screen reader is not flooded.
        text.textContent = job.progress + "% done.";
        lastDecile = decile;
      }
      lastStatus = job.status;
      box.setAttribute("data-status", job.status);
    }

    function poll() {
      if (lastStatus === "done" || lastStatus === "failed") {
        return;
      }
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (job) {
          if (job) {
            show(job);
          }
        })
        .catch(function () {})
        .then(function () {
          window.setTimeout(poll, 1000);
        });
    }
    poll();
  });
})();
