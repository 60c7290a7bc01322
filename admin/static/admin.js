// The admin page's only script (CSP: script-src 'self', no inline code).
//
// Pause: the traffic stream keeps running while paused, so counts stay right; only the swap of
// each new frame is cancelled, and what is on screen holds still to be read. The next frame
// after Resume carries the whole state again.
(function () {
  "use strict";
  let paused = false;

  document.addEventListener("click", function (event) {
    const button = event.target.closest("#pause");
    if (!button) return;
    paused = !paused;
    button.setAttribute("aria-pressed", String(paused));
    button.textContent = paused ? "Resume" : "Pause";
    document.body.classList.toggle("paused", paused);
  });

  document.addEventListener("htmx:sseBeforeMessage", function (event) {
    if (paused && event.target.closest("#traffic-stream")) event.preventDefault();
  });
})();
