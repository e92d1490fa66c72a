// A district-wide export's page: follow its progress until it is finished, then show the result.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("export-progress");
  var url = box && box.dataset.statusUrl;
  if (!url) {
    return;
  }
  var bar = document.getElementById("export-bar");
  var said = document.getElementById("export-status"); // role="status": read out when it changes
  function look() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : Promise.reject(response.status);
      })
      .then(function (status) {
        bar.value = status.percent;
        bar.textContent = status.percent + " %";
        if (said.textContent.trim() !== status.label) {
          said.textContent = status.label;
        }
        if (status.finished) {
          window.location.reload(); // the page then shows the download, or what went wrong
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
