// Pairing links (…/profile/observees#code=Ab3xYz) fill in the code for the parent.
//
// The code travels in the address's fragment, which browsers never send to the server, so it is
// in no log. Kept for this tab only (sessionStorage) and out of the address bar, it survives the
// log-in or sign-up page on the way and fills the first pairing-code field the parent reaches.
"use strict";

(function () {
  var KEY = "pairing-portal:code";
  var match = /(?:^#|&)code=([A-Za-z0-9]{6})(?:&|$)/.exec(window.location.hash);
  if (match) {
    try {
      window.sessionStorage.setItem(KEY, match[1]);
    } catch (unavailable) {
      // Private browsing without storage: the field below is still filled on this page.
    }
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var field = document.querySelector("input[data-pairing-code]");
    var code = match ? match[1] : null;
    try {
      code = code || window.sessionStorage.getItem(KEY);
    } catch (unavailable) {
      // As above.
    }
    if (code && !field) {
      // The log-in page on the way: say that the code is kept (it names no student: it is secret).
      var kept = document.querySelector("[data-pairing-kept]");
      if (kept) {
        kept.hidden = false;
      }
    }
    if (!field || !code) {
      return;
    }
    if (!field.value) {
      field.value = code;
    }
    try {
      window.sessionStorage.removeItem(KEY);
    } catch (unavailable) {
      // As above.
    }
  });
})();
