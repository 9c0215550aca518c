// The campaign theme's only script. Everything works without it; it adds two things.
(function () {
  "use strict";

  // "Exit this page": replace this page in the history so Back does not return to it, and
  // leave at once when Shift is pressed three times within a second.
  var exit = document.querySelector("[data-exit] a");
  if (exit) {
    var leave = function (event) {
      if (event) event.preventDefault();
      document.body.style.display = "none";
      window.location.replace(exit.href);
    };
    exit.addEventListener("click", leave);
    var presses = [];
    document.addEventListener("keyup", function (event) {
      if (event.key !== "Shift") return;
      var now = Date.now();
      presses = presses.filter(function (t) { return now - t < 1000; });
      presses.push(now);
      if (presses.length >= 3) leave();
    });
  }

  // Videos: nothing is fetched from the video host until the reader chooses to play.
  document.querySelectorAll("[data-video] a[data-embed]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var frame = document.createElement("iframe");
      frame.src = link.getAttribute("data-embed");
      frame.title = link.getAttribute("data-title");
      frame.allow = "autoplay; encrypted-media; picture-in-picture; fullscreen";
      frame.setAttribute("allowfullscreen", "");
      frame.className = "video-frame";
      link.replaceWith(frame);
      frame.focus();
    });
  });
})();
