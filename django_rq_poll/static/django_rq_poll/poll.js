/*
 * django-rq-poll: keeps a "still running" page up to date without reloading it.
 *
 * Each element with [data-rq-poll] names its job's status endpoint
 * (data-rq-poll-status-url) and the polling intervals in milliseconds. The script
 * asks the endpoint, updates [data-rq-poll-status] and the <progress> in place,
 * waits longer between polls while nothing changes (up to the maximum), pauses
 * while the tab is hidden, and reloads the page once the job is done: the same URL
 * then answers with the result (or the failure page).
 *
 * While the endpoint cannot answer (a 503 during a Redis outage, or no network) the
 * status line says the connection is lost (data-rq-poll-lost) until an answer comes.
 * A notice for staff ([data-rq-poll-notice], e.g. "no worker listens") follows the
 * endpoint's "notice" field.
 *
 * When the page offers push (data-rq-poll-events-url, set by pages served under ASGI),
 * the script listens to that event stream instead and polls only when the stream is
 * refused (404 under WSGI, 503 during an outage) or keeps failing.
 *
 * The page's no-JavaScript refresh sits in <noscript>, so it never fires here.
 * Without a status URL, or when the endpoint no longer knows the job, the script
 * falls back to reloading the page on the same schedule.
 */
(function () {
  "use strict";

  function number(value, fallback) {
    var parsed = parseInt(value, 10);
    return parsed > 0 ? parsed : fallback;
  }

  function sameOrigin(url) {
    try {
      return new URL(url, window.location.href).origin === window.location.origin;
    } catch (e) {
      return false;
    }
  }

  function Poller(root) {
    this.root = root;
    this.url = root.getAttribute("data-rq-poll-status-url") || "";
    this.interval = number(root.getAttribute("data-rq-poll-interval"), 2000);
    this.maxInterval = Math.max(
      this.interval,
      number(root.getAttribute("data-rq-poll-max-interval"), 15000)
    );
    this.delay = this.interval;
    this.timer = null;
    this.busy = false;
    this.finished = false;
    this.last = "";
    this.lost = false;
    this.statusBefore = null;
    this.source = null; // the open EventSource, while the page listens instead of polling
    this.streamErrors = 0;
  }

  Poller.prototype.schedule = function () {
    if (this.finished || this.source || this.timer !== null || this.busy || document.hidden) {
      return;
    }
    var self = this;
    this.timer = window.setTimeout(function () {
      self.timer = null;
      self.poll();
    }, this.delay);
  };

  Poller.prototype.pause = function () {
    if (this.timer !== null) {
      window.clearTimeout(this.timer);
      this.timer = null;
    }
  };

  Poller.prototype.backOff = function () {
    this.delay = Math.min(Math.round(this.delay * 1.5), this.maxInterval);
  };

  // The running page is served at the result's own URL: reloading it shows the result.
  Poller.prototype.load = function () {
    this.finished = true;
    this.pause();
    window.location.reload();
  };

  Poller.prototype.poll = function () {
    if (!this.url || !sameOrigin(this.url)) {
      this.load();
      return;
    }
    var self = this;
    this.busy = true;
    window
      .fetch(this.url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      })
      .then(function (response) {
        self.setLost(response.status === 503);
        if (response.status === 404) {
          self.url = ""; // the job is gone: the page itself knows what to do next
          return null;
        }
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        self.busy = false;
        if (data === null) {
          self.schedule();
          return;
        }
        if (data.done) {
          self.load();
          return;
        }
        self.update(data);
        self.schedule();
      })
      .catch(function () {
        self.busy = false;
        self.setLost(true);
        self.backOff();
        self.schedule();
      });
  };

  // Say that the status cannot be read right now, and put it back once it can.
  Poller.prototype.setLost = function (lost) {
    if (lost === this.lost) {
      return;
    }
    this.lost = lost;
    this.root.classList.toggle("rq-poll-lost", lost);
    var status = this.root.querySelector("[data-rq-poll-status]");
    var text = this.root.getAttribute("data-rq-poll-lost");
    if (!status || !text) {
      return;
    }
    if (lost) {
      this.statusBefore = status.textContent;
      status.textContent = text;
    } else if (this.statusBefore !== null) {
      status.textContent = this.statusBefore;
      this.statusBefore = null;
    }
  };

  // The staff notice (no worker listening ...): shown while the endpoint gives one.
  Poller.prototype.updateNotice = function (data) {
    var notice = this.root.querySelector("[data-rq-poll-notice]");
    if (!notice) {
      return;
    }
    if (data.notice) {
      if (notice.textContent !== data.notice) {
        notice.textContent = data.notice;
      }
      notice.hidden = false;
    } else {
      notice.hidden = true;
    }
  };

  Poller.prototype.update = function (data) {
    var progress = data.progress || {};
    var seen = [data.status, progress.current, progress.total, progress.message].join("|");
    if (seen === this.last) {
      this.backOff();
    } else {
      this.last = seen;
      this.delay = this.interval;
    }
    var status = this.root.querySelector("[data-rq-poll-status]");
    if (status && data.status && status.textContent !== data.status) {
      status.textContent = data.status;
    }
    this.updateNotice(data);
    if (!data.progress) {
      return;
    }
    var bar = this.root.querySelector("[data-rq-poll-bar]");
    if (bar) {
      if (typeof progress.percent === "number") {
        bar.value = progress.percent;
        bar.textContent = progress.percent + "%";
      } else {
        bar.removeAttribute("value");
        bar.textContent = "";
      }
    }
    var label = this.root.querySelector("[data-rq-poll-label]");
    if (label && progress.message) {
      label.textContent = progress.message;
    }
  };

  // -- push: the job's event stream, when the page offers one ------------------------
  var STREAM_ERRORS_BEFORE_POLLING = 3;

  // Returns false when the page offers no stream (or the browser has no EventSource):
  // the caller polls instead.
  Poller.prototype.listen = function () {
    var url = this.root.getAttribute("data-rq-poll-events-url") || "";
    if (!url || !window.EventSource || !sameOrigin(url)) {
      return false;
    }
    var self = this;
    var source = new window.EventSource(url);
    this.source = source;
    source.addEventListener("open", function () {
      self.streamErrors = 0;
    });
    source.addEventListener("state", function (event) {
      self.streamErrors = 0;
      self.update(JSON.parse(event.data)); // what the status endpoint would answer
    });
    source.addEventListener("done", function () {
      source.close();
      self.source = null;
      self.load();
    });
    source.addEventListener("error", function () {
      // A dropped stream reconnects by itself (readyState CONNECTING, with Last-Event-ID);
      // CLOSED means the server refused it. Either way, poll once it keeps failing.
      self.streamErrors += 1;
      if (
        source.readyState === window.EventSource.CLOSED ||
        self.streamErrors >= STREAM_ERRORS_BEFORE_POLLING
      ) {
        self.stopListening();
        self.schedule();
      }
    });
    return true;
  };

  Poller.prototype.stopListening = function () {
    if (this.source) {
      this.source.close();
      this.source = null;
    }
  };

  function start() {
    var pollers = [];
    var roots = document.querySelectorAll("[data-rq-poll]");
    for (var i = 0; i < roots.length; i++) {
      if (roots[i].rqPoll) {
        continue;
      }
      roots[i].rqPoll = new Poller(roots[i]);
      pollers.push(roots[i].rqPoll);
      if (!roots[i].rqPoll.listen()) {
        roots[i].rqPoll.schedule();
      }
    }
    document.addEventListener("visibilitychange", function () {
      for (var j = 0; j < pollers.length; j++) {
        if (document.hidden) {
          pollers[j].pause();
        } else {
          pollers[j].delay = pollers[j].interval; // back in view: ask soon
          pollers[j].schedule();
        }
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
