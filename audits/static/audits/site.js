// Site-wide behaviour: move focus to an error summary when a page shows one, and warn
// before the idle session limit signs someone out (with a choice to stay signed in).
(function () {
  "use strict";

  // An error summary comes first; otherwise the banner saying what the last action did.
  function focusErrorSummary() {
    var summary = document.querySelector("[data-focus-on-load]");
    if (summary && !summary.hidden) {
      summary.focus();
      return;
    }
    var banner = document.querySelector("[data-banner]");
    if (banner) {
      banner.focus();
    }
  }

  function sessionWarning() {
    var body = document.body;
    var seconds = parseInt(body.getAttribute("data-session-seconds") || "", 10);
    var dialog = document.getElementById("session-warning");
    if (!seconds || !dialog || typeof dialog.showModal !== "function") {
      return;
    }
    var warnBefore = Math.min(120, Math.floor(seconds / 2));
    var countdown = document.getElementById("session-countdown");
    var stay = document.getElementById("session-stay");
    var warnTimer = null;
    var endTimer = null;
    var tick = null;
    var endsAt = 0;

    function describe(remaining) {
      if (remaining > 60) {
        return Math.ceil(remaining / 60) + " minutes";
      }
      return remaining + " second" + (remaining === 1 ? "" : "s");
    }

    function warn() {
      countdown.textContent = describe(warnBefore);
      dialog.showModal();
      stay.focus();
      tick = window.setInterval(function () {
        var remaining = Math.max(0, Math.round((endsAt - Date.now()) / 1000));
        // Update the words once a minute, then every 15 seconds, so a screen reader is
        // not flooded.
        if (remaining % 15 === 0) {
          countdown.textContent = describe(remaining);
        }
      }, 1000);
    }

    function signOut() {
      // The server has ended the session by now; the login page brings the person back
      // here (ids only in the path) once they sign in again.
      window.location.assign(body.getAttribute("data-timeout-url") + "&next=" +
        encodeURIComponent(window.location.pathname));
    }

    function restart() {
      window.clearTimeout(warnTimer);
      window.clearTimeout(endTimer);
      window.clearInterval(tick);
      endsAt = Date.now() + seconds * 1000;
      warnTimer = window.setTimeout(warn, (seconds - warnBefore) * 1000);
      endTimer = window.setTimeout(signOut, seconds * 1000);
    }

    stay.addEventListener("click", function () {
      fetch(body.getAttribute("data-keepalive-url"), { credentials: "same-origin" })
        .then(function (response) {
          if (response.status === 401) {
            signOut();
            return;
          }
          dialog.close();
          restart();
        })
        .catch(function () {
          dialog.close();
          restart();
        });
    });
    dialog.addEventListener("cancel", function () {
      stay.click();
    });
    // Anything that reaches the server (an autosave, say) renews the session too.
    document.addEventListener("caseassure:activity", restart);
    restart();
  }

  // "Print" buttons (the dashboard, an audit): the print stylesheet does the rest.
  function printButtons() {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () {
        window.print();
      });
    });
    // A chart's table prints under it, even when "Show the table" is closed on screen.
    var opened = [];
    window.addEventListener("beforeprint", function () {
      opened = Array.prototype.filter.call(
        document.querySelectorAll("details.chart-table, details.print-open"),
        function (details) { return !details.open; }
      );
      opened.forEach(function (details) { details.open = true; });
    });
    window.addEventListener("afterprint", function () {
      opened.forEach(function (details) { details.open = false; });
      opened = [];
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrorSummary();
    sessionWarning();
    printButtons();
  });
})();
