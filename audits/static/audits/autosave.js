// Autosave for the grading form: PATCH the audit through the API with the version the
// page holds, show "Saved at HH:MM:SS", and on a version conflict (409) keep every word
// the auditor typed in the form and offer to load the latest version. Submitting still
// works as a plain form POST; this only waits for a save in flight so the version is fresh.
(function () {
  "use strict";

  var TEXT_FIELDS = ["rationale", "strengths", "improvements"];

  function twoDigits(number) {
    return (number < 10 ? "0" : "") + number;
  }

  function clock() {
    var now = new Date();
    return twoDigits(now.getHours()) + ":" + twoDigits(now.getMinutes()) + ":" +
      twoDigits(now.getSeconds());
  }

  function answerValue(element) {
    var value = element.value.trim();
    if (element.type === "textarea" || element.tagName === "TEXTAREA") {
      value = element.value;
    }
    if (value === "") {
      return null;
    }
    if (element.getAttribute("data-kind") === "number") {
      var number = Number(value);
      return isNaN(number) ? value : number;
    }
    return value;
  }

  function payload(form, version) {
    var data = { version: version, answers: {}, themes: [], overall_grade: null };
    Array.prototype.forEach.call(form.elements, function (element) {
      var name = element.name;
      if (!name || element.type === "submit" || element.type === "hidden") {
        return;
      }
      if (name.indexOf("answer-") === 0) {
        var key = name.slice("answer-".length);
        if (element.type === "radio") {
          if (!(key in data.answers)) {
            data.answers[key] = null;
          }
          if (element.checked) {
            data.answers[key] = element.value;
          }
        } else {
          data.answers[key] = answerValue(element);
        }
      } else if (name === "overall_grade" && element.checked) {
        data.overall_grade = parseInt(element.value, 10);
      } else if (name === "themes" && element.checked) {
        data.themes.push(element.value);
      } else if (TEXT_FIELDS.indexOf(name) !== -1) {
        data[name] = element.value;
      }
    });
    return data;
  }

  function problems(data) {
    return Object.keys(data)
      .filter(function (key) { return key !== "detail"; })
      .map(function (key) { return key.replace("answers.", "") + ": " + [].concat(data[key]).join(" "); })
      .join("; ");
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("grading-form");
    if (!form || !form.getAttribute("data-autosave-url")) {
      return;
    }
    var url = form.getAttribute("data-autosave-url");
    var version = document.getElementById("audit-version");
    var status = document.getElementById("autosave-status");
    var conflict = document.getElementById("autosave-conflict");
    var conflictText = document.getElementById("autosave-conflict-text");
    var csrf = document.querySelector("meta[name='csrf-token']").getAttribute("content");
    var stopped = form.getAttribute("data-conflict") === "1";
    var submitting = false;
    var dirty = false;
    var saving = null;
    var timer = null;

    status.textContent = stopped
      ? "Autosave is paused until you load the latest version."
      : "Your changes are saved automatically as you work.";

    function handle(result) {
      if (result.status === 200) {
        version.value = result.data.version;
        status.textContent = "Saved at " + clock();
        document.dispatchEvent(new CustomEvent("caseassure:activity"));
      } else if (result.status === 409) {
        stopped = true;
        conflictText.textContent = result.data.detail || "Someone else saved this audit after you opened it.";
        conflict.hidden = false;
        conflict.focus();
        status.textContent = "Not saved: someone else saved this audit. Your text is still here.";
      } else if (result.status === 400) {
        status.textContent = "Not saved: " + (result.data.detail || "some answers are not valid.") +
          " " + problems(result.data);
      } else if (result.status === 401 || result.status === 403) {
        status.textContent = "Not saved: you may have been signed out. Copy your text, then sign in again.";
      } else {
        dirty = true;
        status.textContent = "Not saved just now; we will try again.";
      }
    }

    function save() {
      if (stopped || submitting || !dirty) {
        return Promise.resolve();
      }
      if (saving) {
        return saving.then(save);
      }
      dirty = false;
      status.textContent = "Saving…";
      saving = fetch(url, {
        method: "PATCH",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": csrf
        },
        body: JSON.stringify(payload(form, parseInt(version.value, 10)))
      })
        .then(function (response) {
          return response.json()
            .catch(function () { return {}; })
            .then(function (data) { return { status: response.status, data: data }; });
        })
        .then(handle)
        .catch(function () {
          dirty = true;
          status.textContent = "Not saved: the connection failed. We will try again.";
        })
        .then(function () {
          saving = null;
        });
      return saving;
    }

    function changed(delay) {
      if (stopped || submitting) {
        return;
      }
      dirty = true;
      window.clearTimeout(timer);
      timer = window.setTimeout(save, delay);
    }

    form.addEventListener("input", function (event) {
      changed(event.target.type === "radio" || event.target.type === "checkbox" ? 300 : 1500);
    });
    form.addEventListener("change", function () {
      changed(300);
    });
    form.addEventListener("submit", function (event) {
      window.clearTimeout(timer);
      if (saving) {
        // Let the save in flight finish so the form posts the version it produced.
        event.preventDefault();
        var submitter = event.submitter;
        saving.then(function () {
          form.requestSubmit(submitter);
        });
        return;
      }
      submitting = true;
    });
    window.setInterval(function () {
      if (dirty) {
        save();
      }
    }, 30000);
  });
})();
