// Autosave for the grading form: PATCH the audit through the API with the version the
// page holds. The server saves every valid answer and names the ones it refused
// (`invalid`): each refused answer is marked where it is, with what to do, and keeps the
// text typed; the status line (sticky, always in view) says "Saved at" only when
// everything was saved, and "Not saved: ..." otherwise. A refused answer's text is kept
// for this tab (sessionStorage, cleared once it is saved) so a reload still shows it.
// On a version conflict (409) every word typed stays in the form. A date question is three
// boxes sent as one ISO date; one not whole or not real is not sent and is marked here in
// the words of the page's own check. Also: answered counts
// per section and the section in view, in the section navigation.
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

  // A date question's day, month and year as one ISO date, or what is wrong with them in
  // the words the page uses after a post (audits/web/dates.py DayMonthYearField).
  function dateAnswer(parts) {
    var typed = parts.map(function (part) { return part.trim(); });
    var names = ["day", "month", "year"];
    if (typed.every(function (part) { return part === ""; })) {
      return { value: null };
    }
    var missing = names.filter(function (name, index) { return typed[index] === ""; });
    if (missing.length) {
      var listed = missing.length === 1 ? missing[0] :
        missing.slice(0, -1).join(", ") + " and " + missing[missing.length - 1];
      return { problem: "The date must include a " + listed };
    }
    if (!typed.every(function (part) { return /^[0-9]+$/.test(part); })) {
      return { problem: "The date must be a real date" };
    }
    if (typed[2].length !== 4) {
      return { problem: "The year of the date must have 4 numbers, like 2026" };
    }
    var day = parseInt(typed[0], 10);
    var month = parseInt(typed[1], 10);
    var year = parseInt(typed[2], 10);
    var check = new Date(Date.UTC(year, month - 1, day));
    if (month < 1 || month > 12 || check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) {
      return { problem: "The date must be a real date" };
    }
    return { value: typed[2] + "-" + twoDigits(month) + "-" + twoDigits(day) };
  }

  // ``problems`` receives the dates that are not whole or not real: they are not sent (the
  // saved answer stays) and are marked as not saved, as the server marks what it refuses.
  function payload(form, version, problems) {
    var data = { version: version, answers: {}, themes: [], overall_grade: null };
    var dates = {};
    Array.prototype.forEach.call(form.elements, function (element) {
      var name = element.name;
      if (!name || element.type === "submit" || element.type === "hidden") {
        return;
      }
      var dateKey = element.getAttribute("data-date-key");
      if (dateKey) {
        dates[dateKey] = dates[dateKey] || { day: "", month: "", year: "" };
        dates[dateKey][element.getAttribute("data-date-part")] = element.value;
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
    Object.keys(dates).forEach(function (key) {
      var found = dateAnswer([dates[key].day, dates[key].month, dates[key].year]);
      if (found.problem) {
        problems["answers." + key] = [found.problem];
      } else {
        data.answers[key] = found.value;
      }
    });
    return data;
  }

  // "answers.plan_smart" (as the API names a field) -> "answer-plan_smart" (its HTML id).
  function fieldId(name) {
    return name.indexOf("answers.") === 0 ? "answer-" + name.slice("answers.".length) : name;
  }

  function containerOf(element) {
    return element.closest(".question, .field");
  }

  function labelOf(id) {
    var element = document.getElementById(id);
    var container = element && containerOf(element);
    var label = container && container.querySelector("legend, label");
    if (!label) {
      return id;
    }
    var text = "";
    Array.prototype.forEach.call(label.childNodes, function (node) {
      if (node.nodeType === Node.TEXT_NODE) {
        text += node.textContent;
      }
    });
    return text.trim() || label.textContent.trim();
  }

  function describedBy(element, id, add) {
    var tokens = (element.getAttribute("aria-describedby") || "").split(/\s+/)
      .filter(function (token) { return token && token !== id; });
    if (add) {
      tokens.push(id);
    }
    element.setAttribute("aria-describedby", tokens.join(" "));
  }

  function showError(id, message) {
    var element = document.getElementById(id);
    if (!element) {
      return false;
    }
    var container = containerOf(element);
    var errorId = id + "-error";
    var error = document.getElementById(errorId);
    if (!error) {
      error = document.createElement("p");
      error.className = "field-error";
      error.id = errorId;
      var hint = container.querySelector(".hint");
      var after = hint || container.querySelector("legend, label");
      after.insertAdjacentElement("afterend", error);
    }
    error.textContent = "";
    var hidden = document.createElement("span");
    hidden.className = "visually-hidden";
    hidden.textContent = "Error: ";
    error.appendChild(hidden);
    error.appendChild(document.createTextNode("Not saved. " + message));
    container.classList.add("has-error");
    describedBy(container.tagName === "FIELDSET" ? container : element, errorId, true);
    return true;
  }

  function clearError(id) {
    var element = document.getElementById(id);
    var error = document.getElementById(id + "-error");
    if (!element || !error) {
      return;
    }
    var container = containerOf(element);
    error.remove();
    container.classList.remove("has-error");
    describedBy(container.tagName === "FIELDSET" ? container : element, id + "-error", false);
  }

  function isTyped(element) {
    // A date's three boxes are marked, not kept: only the day box carries the field's id.
    return element && !element.hasAttribute("data-date-part") && (element.tagName === "TEXTAREA" ||
      (element.tagName === "INPUT" && element.type !== "radio" && element.type !== "checkbox"));
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("grading-form");
    if (!form || !form.getAttribute("data-autosave-url")) {
      return;
    }
    var url = form.getAttribute("data-autosave-url");
    var storeKey = "caseassure-not-saved:" + url;
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

    function remembered() {
      try {
        return JSON.parse(window.sessionStorage.getItem(storeKey) || "{}");
      } catch (ignored) {
        return {};
      }
    }

    function remember(notSaved) {
      try {
        if (Object.keys(notSaved).length) {
          window.sessionStorage.setItem(storeKey, JSON.stringify(notSaved));
        } else {
          window.sessionStorage.removeItem(storeKey);
        }
      } catch (ignored) {
        // Storage refused (private mode, quota): the marks on the page still stand.
      }
    }

    // "Not saved: <links to the refused fields>. <text>" or "Saved at ..." -- never both
    // about one field.
    function say(kind, text, refused) {
      status.textContent = "";
      status.classList.toggle("autosave-problem", kind === "problem");
      status.toggleAttribute("data-pending", kind === "pending" || kind === "saving");
      if (kind === "problem") {
        var strong = document.createElement("strong");
        strong.textContent = "Not saved: ";
        status.appendChild(strong);
      }
      (refused || []).forEach(function (id, index) {
        if (index > 0) {
          status.appendChild(document.createTextNode(", "));
        }
        var link = document.createElement("a");
        link.href = "#" + id;
        link.textContent = labelOf(id);
        status.appendChild(link);
      });
      status.appendChild(document.createTextNode((refused && refused.length ? ". " : "") + text));
    }

    // Mark the refused fields, clear the ones saved, and keep the refused text for this tab.
    function mark(invalid, saved) {
      var notSaved = remembered();
      (saved || []).forEach(function (name) {
        var id = fieldId(name);
        clearError(id);
        delete notSaved[id];
      });
      var refused = [];
      Object.keys(invalid).forEach(function (name) {
        var id = fieldId(name);
        var message = [].concat(invalid[name]).join(" ");
        if (showError(id, message)) {
          refused.push(id);
        }
        var element = document.getElementById(id);
        if (isTyped(element)) {
          notSaved[id] = { value: element.value, message: message };
        }
      });
      remember(notSaved);
      document.dispatchEvent(new CustomEvent("caseassure:marked"));
      return refused;
    }

    function handle(result) {
      var data = result.data || {};
      var local = result.problems || {};
      if (result.status === 200) {
        version.value = data.version;
        var refused = mark(Object.assign({}, local, data.invalid || {}), data.saved || []);
        if (dirty) {
          // Typed while this save was on its way: that part is not saved yet.
          say("pending", "Changes not saved yet: saving in a moment.");
        } else if (refused.length) {
          say("problem", "Change " + (refused.length === 1 ? "it" : "them") + " where marked in red. " +
            "Everything else was saved at " + clock() + ".", refused);
        } else {
          say("saved", "Saved at " + clock());
        }
        document.dispatchEvent(new CustomEvent("caseassure:activity"));
      } else if (result.status === 409) {
        stopped = true;
        conflictText.textContent = data.detail || "Someone else saved this audit after you opened it.";
        conflict.hidden = false;
        conflict.focus();
        say("problem", "someone else saved this audit. Your text is still here.");
      } else if (result.status === 400) {
        var fields = Object.assign({}, local);
        Object.keys(data).forEach(function (key) {
          if (key !== "detail") {
            fields[key] = data[key];
          }
        });
        var marked = mark(fields, []);
        say("problem", data.detail || "some answers are not valid.", marked);
      } else if (result.status === 401 || result.status === 403) {
        say("problem", "you may have been signed out. Copy your text, then sign in again.");
      } else {
        dirty = true;
        say("problem", "the server did not answer just now. We will try again.");
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
      say("saving", "Saving…");
      var problems = {};
      var body = JSON.stringify(payload(form, parseInt(version.value, 10), problems));
      saving = fetch(url, {
        method: "PATCH",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": csrf
        },
        body: body
      })
        .then(function (response) {
          return response.json()
            .catch(function () { return {}; })
            .then(function (data) {
              return { status: response.status, data: data, problems: problems };
            });
        })
        .then(handle)
        .catch(function () {
          dirty = true;
          say("problem", "the connection failed. We will try again.");
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
      if (!status.classList.contains("autosave-problem") && !status.hasAttribute("data-pending")) {
        say("pending", "Changes not saved yet: saving in a moment.");
      }
      window.clearTimeout(timer);
      timer = window.setTimeout(save, delay);
    }

    // Answers refused before a reload: put the typed text back and mark it again.
    var restored = [];
    var notSaved = remembered();
    Object.keys(notSaved).forEach(function (id) {
      var element = document.getElementById(id);
      if (isTyped(element) && showError(id, notSaved[id].message)) {
        element.value = notSaved[id].value;
        restored.push(id);
      }
    });
    document.dispatchEvent(new CustomEvent("caseassure:marked"));
    if (stopped) {
      say("problem", "autosave is paused until you load the latest version.");
    } else if (restored.length) {
      say("problem", "Change " + (restored.length === 1 ? "it" : "them") + " where marked in red.",
        restored);
    } else if (!status.classList.contains("autosave-problem")) {
      say("idle", "Autosave is on. No changes since this page was opened.");
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
      // The form posts every value as it stands; the page that answers marks any refused.
      remember({});
    });
    window.setInterval(function () {
      if (dirty) {
        save();
      }
    }, 30000);
  });

  // The section navigation: answered counts as the auditor works, and the section in view.
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("grading-form");
    var total = document.getElementById("progress-total");
    if (!form || !total) {
      return;
    }
    function answered(question) {
      if (question.classList.contains("has-error")) {
        return false; // typed, but refused: not an answer yet
      }
      return Array.prototype.some.call(question.querySelectorAll("input, textarea"), function (field) {
        return field.type === "radio" || field.type === "checkbox" ? field.checked : field.value.trim() !== "";
      });
    }
    function count() {
      var done = 0;
      var all = 0;
      document.querySelectorAll("[data-progress]").forEach(function (progress) {
        var section = form.querySelector("[data-section='" + progress.getAttribute("data-progress") + "']");
        var questions = section ? section.querySelectorAll(".question") : [];
        var yes = Array.prototype.filter.call(questions, answered).length;
        progress.textContent = yes + " of " + questions.length;
        progress.classList.toggle("complete", yes === questions.length);
        done += yes;
        all += questions.length;
      });
      total.textContent = done + " of " + all + " questions answered";
    }
    count();
    form.addEventListener("input", count);
    form.addEventListener("change", count);
    document.addEventListener("caseassure:marked", count);

    var links = document.querySelectorAll("[data-section-link]");
    if (!("IntersectionObserver" in window) || !links.length) {
      return;
    }
    var visible = {};
    function highlight() {
      var current = null;
      form.querySelectorAll("[data-section]").forEach(function (section) {
        if (!current && visible[section.getAttribute("data-section")]) {
          current = section.getAttribute("data-section");
        }
      });
      if (!current) {
        return;
      }
      links.forEach(function (link) {
        if (link.getAttribute("data-section-link") === current) {
          link.setAttribute("aria-current", "true");
          // Keep the current section's link in view inside the sticky side column.
          var aside = link.closest(".grading-aside");
          if (aside && aside.scrollHeight > aside.clientHeight) {
            var linkBox = link.getBoundingClientRect();
            var asideBox = aside.getBoundingClientRect();
            if (linkBox.top < asideBox.top || linkBox.bottom > asideBox.bottom) {
              aside.scrollTop += linkBox.top - asideBox.top - aside.clientHeight / 2;
            }
          }
        } else {
          link.removeAttribute("aria-current");
        }
      });
    }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        visible[entry.target.getAttribute("data-section")] = entry.isIntersecting;
      });
      highlight();
    }, { rootMargin: "-15% 0px -60% 0px" });
    form.querySelectorAll("[data-section]").forEach(function (section) {
      observer.observe(section);
    });
  });
})();
