/* The door's check-in page: scan the QR on a customer's phone with this device's camera, where the browser
 * has BarcodeDetector, and submit the code it reads; elsewhere (or when the camera is refused) the rep types
 * the code into the same form. The server decides (unknown, another event's, already in). */
(function () {
  "use strict";
  var root = document.querySelector("[data-checkin]");
  if (!root) return;
  var form = root.querySelector("[data-checkin-form]");
  var input = form.querySelector("input[name=code]");
  var startButton = root.querySelector("[data-camera-start]");
  var stopButton = root.querySelector("[data-camera-stop]");
  var panel = root.querySelector("[data-camera]");
  var video = root.querySelector("[data-video]");
  var note = root.querySelector("[data-no-camera]");
  var stream = null;
  var timer = null;

  var supported = "BarcodeDetector" in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia;
  if (!supported) return; // typing the code is the way: the note says so

  var detector;
  try {
    detector = new window.BarcodeDetector({ formats: ["qr_code"] });
  } catch (e) {
    return;
  }
  startButton.hidden = false;
  note.hidden = true;

  function stop() {
    if (timer) { clearTimeout(timer); timer = null; }
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    panel.hidden = true;
    startButton.hidden = false;
  }

  function scan() {
    if (!stream) return;
    detector.detect(video).then(function (codes) {
      var found = codes && codes.length ? String(codes[0].rawValue || "").trim() : "";
      if (found) {
        input.value = found;
        stop();
        form.submit();
        return;
      }
      timer = setTimeout(scan, 250);
    }).catch(function () { timer = setTimeout(scan, 500); });
  }

  startButton.addEventListener("click", function () {
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (s) {
        stream = s;
        video.srcObject = s;
        panel.hidden = false;
        startButton.hidden = true;
        return video.play();
      })
      .then(scan)
      .catch(function () {
        stop();
        startButton.hidden = true;
        note.hidden = false; // refused or no camera: type the code
        input.focus();
      });
  });
  stopButton.addEventListener("click", stop);
  window.addEventListener("pagehide", stop);
})();
