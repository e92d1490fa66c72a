// The proof-of-work widget (ALTCHA, static/vendor/altcha) under our Content Security Policy: its
// "external" build has no inline styles and no bundled workers, so we start the PBKDF2 worker
// from our own origin, and give it the page's words. Importing the widget here, rather than from
// a second <script>, makes both run before the widget starts solving.
import "../vendor/altcha/altcha.min.js";

const worker = new URL("../vendor/altcha/pbkdf2.js", import.meta.url);
for (const name of ["PBKDF2/SHA-256", "PBKDF2/SHA-384", "PBKDF2/SHA-512"]) {
  globalThis.$altcha.algorithms.set(name, () => new Worker(worker));
}

const box = document.querySelector("[data-proof-of-work]");
if (box) {
  const language = document.documentElement.lang || "en";
  const words = box.dataset;
  globalThis.$altcha.i18n.set(language, {
    ...globalThis.$altcha.i18n.get("en"),
    label: words.label,
    verifying: words.verifying,
    verified: words.verified,
    waitAlert: words.wait,
    verificationRequired: words.required,
    error: words.error,
    expired: words.expired,
  });
}

// Sent before the check is done (Enter pressed at once), the form would go without its answer and
// come back asking again: it waits for the check instead, then goes by itself.
for (const widget of document.querySelectorAll("altcha-widget")) {
  const form = widget.closest("form");
  form?.addEventListener("submit", (event) => {
    const state = widget.getState?.();
    if (!state || state === "verified") return;
    event.preventDefault();
    widget.addEventListener("verified", () => form.requestSubmit(event.submitter), { once: true });
    if (state !== "verifying") widget.verify();
  });
}
