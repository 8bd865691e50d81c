// Pickers that search as you type: a search box above each <select data-picker> keeps only
// the options whose words contain what was typed (a person's name, team or reference; a
// case reference). Without JavaScript the plain <select> works as it is.
(function () {
  "use strict";

  var SEARCH_LABELS = {
    auditors: "Search by name, team or staff reference",
    people: "Search by name, team or staff reference",
    audits: "Search by case reference or cycle"
  };

  function matches(option, words) {
    var text = option.textContent.toLowerCase();
    return words.every(function (word) { return text.indexOf(word) !== -1; });
  }

  function enhance(select, number) {
    var original = Array.prototype.map.call(select.children, function (node) {
      return node.cloneNode(true);
    });
    var box = document.createElement("input");
    var boxLabel = document.createElement("label");
    var status = document.createElement("p");
    box.type = "search";
    box.id = select.id + "-search";
    box.autocomplete = "off";
    box.className = "picker-search";
    boxLabel.htmlFor = box.id;
    boxLabel.className = "picker-label";
    // Words of its own, so that the select keeps the only label with the field's name.
    boxLabel.textContent = SEARCH_LABELS[select.getAttribute("data-picker")] || "Search the list";
    status.className = "hint picker-status";
    status.id = select.id + "-search-status";
    status.setAttribute("aria-live", "polite");
    box.setAttribute("aria-describedby", status.id);
    select.parentNode.insertBefore(boxLabel, select);
    select.parentNode.insertBefore(box, select);
    select.parentNode.insertBefore(status, select);

    function filter() {
      var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
      var chosen = select.value;
      var shown = 0;
      while (select.firstChild) { select.removeChild(select.firstChild); }
      original.forEach(function (node) {
        if (node.tagName === "OPTGROUP") {
          var group = node.cloneNode(false);
          Array.prototype.forEach.call(node.children, function (option) {
            if (!words.length || matches(option, words) || option.value === chosen) {
              group.appendChild(option.cloneNode(true));
              shown += 1;
            }
          });
          if (group.children.length) { select.appendChild(group); }
        } else if (node.value === "" || !words.length || matches(node, words) || node.value === chosen) {
          select.appendChild(node.cloneNode(true));
          shown += node.value === "" ? 0 : 1;
        }
      });
      select.value = chosen;
      if (!words.length) {
        status.textContent = "";
      } else if (shown === 1 && !chosen) {
        // One match: choose it, so typing a name is enough.
        var only = select.querySelector("option:not([value=''])");
        select.value = only.value;
        status.textContent = "1 match, chosen.";
      } else {
        status.textContent = shown + " match" + (shown === 1 ? "" : "es") + " in the list below.";
      }
    }

    box.addEventListener("input", filter);
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); select.focus(); }
    });
    return number;
  }

  document.querySelectorAll("select[data-picker]").forEach(enhance);
})();
