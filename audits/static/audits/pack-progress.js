// The inspection pack page: poll the job's status once a second and move the progress bar;
// show the download link when the pack is ready.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("pack-progress");
    if (!box) {
      return;
    }
    var bar = document.getElementById("pack-progress-bar");
    var text = document.getElementById("pack-progress-text");
    var ready = document.getElementById("pack-ready");
    var url = box.getAttribute("data-status-url");
    var lastStatus = box.getAttribute("data-status");
    var lastDecile = -1;

    function show(job) {
      bar.value = job.progress;
      bar.textContent = job.progress + "%";
      var decile = Math.floor(job.progress / 10);
      if (job.status === "done") {
        text.textContent = "The inspection pack is ready.";
        document.getElementById("pack-manifest-sha256").textContent = job.manifest_sha256;
        document.getElementById("pack-sha256").textContent = job.sha256;
        document.getElementById("pack-report-hash").textContent =
          job.report_hash || "No report had been compiled.";
        ready.hidden = false;
      } else if (job.status === "failed") {
        text.textContent = "The inspection pack could not be built. Build it again, or ask an administrator to look at the service's log.";
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
