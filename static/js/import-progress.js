// An SIS import's page: follow its progress until it is finished, then show the result.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("import-progress");
  var url = box && box.dataset.statusUrl;
  if (!url) {
    return;
  }
  var bar = document.getElementById("import-bar");
  var said = document.getElementById("import-status"); // role="status": read out when it changes
  var files = document.getElementById("import-files");

  function showFiles(entries) {
    var rows = entries.map(function (entry) {
      var row = document.createElement("tr");
      var name = document.createElement("th");
      name.scope = "row";
      name.textContent = entry.file;
      row.appendChild(name);
      [entry.done, entry.total].forEach(function (number) {
        var cell = document.createElement("td");
        cell.textContent = number.toLocaleString(document.documentElement.lang || undefined);
        row.appendChild(cell);
      });
      return row;
    });
    files.replaceChildren.apply(files, rows);
  }

  function look() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : Promise.reject(response.status);
      })
      .then(function (status) {
        bar.value = status.percent;
        bar.textContent = status.percent + " %";
        showFiles(status.files);
        // The label moves a tenth at a time, so the region is not read out at every poll.
        if (said.textContent.trim() !== status.label) {
          said.textContent = status.label;
        }
        if (status.finished) {
          window.location.reload(); // the page then shows the counts and the skipped rows
        } else {
          window.setTimeout(look, 2000);
        }
      })
      .catch(function () {
        window.setTimeout(look, 5000);
      });
  }
  window.setTimeout(look, 1000);
});
