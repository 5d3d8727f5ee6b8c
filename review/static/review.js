/* trialx review page: select fields, see their evidence, correct them. Plain JS, no libraries. */
(function () {
  "use strict";
  var dataEl = document.getElementById("review-data");
  if (!dataEl) return;
  var data = JSON.parse(dataEl.textContent);
  var pageText = document.getElementById("page-text");
  var record = document.getElementById("record");
  var editor = document.getElementById("editor");
  var message = document.getElementById("message");
  var fields = Array.prototype.slice.call(record.querySelectorAll(".field"));
  var current = -1;
  var selection = null; // {start, end, quote} chosen on the page text
  var KEY = "trialx-review-selected:" + data.api;

  function say(text, bad) {
    message.textContent = text || "";
    message.className = bad ? "bad" : "";
  }

  function cssPath(path) { return '[data-path="' + path.replace(/["\\]/g, "\\$&") + '"]'; }

  function select(i, scroll) {
    if (i < 0 || i >= fields.length) return;
    var old = record.querySelector(".field.current");
    if (old) old.classList.remove("current");
    Array.prototype.forEach.call(pageText.querySelectorAll("mark.current"), function (m) { m.classList.remove("current"); });
    current = i;
    var field = fields[i];
    field.classList.add("current");
    var adding = field.classList.contains("add"), empty = field.classList.contains("empty");
    acts.querySelector(".accept").hidden = empty;
    acts.querySelector(".remove").hidden = empty;
    acts.querySelector(".edit").textContent = adding ? "add" : "edit";
    field.insertBefore(acts, field.querySelector(".findings"));
    var group = field.closest("details");
    if (group && !group.open) group.open = true;
    var path = field.getAttribute("data-path");
    try { sessionStorage.setItem(KEY, path); } catch (e) { /* storage off */ }
    var marks = pageText.querySelectorAll("mark" + cssPath(path));
    Array.prototype.forEach.call(marks, function (m) { m.classList.add("current"); });
    if (scroll !== false) {
      var place = function () {
        field.scrollIntoView({block: "nearest"});
        if (marks.length) marks[0].scrollIntoView({block: "center"});
      };
      place();
      /* chunks painted on the way change their heights: place again once they are laid out */
      requestAnimationFrame(function () { requestAnimationFrame(place); });
    }
    field.focus({preventScroll: true});
  }

  function indexOfPath(path) {
    for (var i = 0; i < fields.length; i++) if (fields[i].getAttribute("data-path") === path) return i;
    return -1;
  }

  function refreshFields() {
    var was = current >= 0 ? fields[current] : null;
    fields = Array.prototype.slice.call(record.querySelectorAll(".field"));
    current = was ? fields.indexOf(was) : -1;
  }

  /* a folded list's rows come from the server when it is first opened */
  function loadGroup(group) {
    if (group.getAttribute("data-lazy") !== "1") return Promise.resolve();
    group.setAttribute("data-lazy", "loading");
    return fetch(data.groups + encodeURIComponent(group.getAttribute("data-field")), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.text() : Promise.reject(new Error("HTTP " + r.status)); })
      .then(function (html) {
        group.insertAdjacentHTML("beforeend", html);
        group.removeAttribute("data-lazy");
        refreshFields();
      })
      .catch(function (err) { group.setAttribute("data-lazy", "1"); say("could not load the list: " + err.message, true); });
  }

  function selectPath(path, scroll) {
    var i = indexOfPath(path);
    if (i >= 0) { select(i, scroll); return Promise.resolve(true); }
    var top = path.split(/[.[]/)[0];
    var group = record.querySelector('details.group[data-field="' + top + '"]');
    if (!group || group.getAttribute("data-lazy") !== "1") return Promise.resolve(false);
    group.open = true;
    return loadGroup(group).then(function () {
      var j = indexOfPath(path);
      if (j >= 0) select(j, scroll);
      return j >= 0;
    });
  }

  record.addEventListener("toggle", function (ev) {
    var group = ev.target;
    if (group.open && group.getAttribute && group.getAttribute("data-lazy") === "1") loadGroup(group);
  }, true);

  function post(url, body) {
    return fetch(url, {method: "POST", credentials: "same-origin", headers: {"Content-Type": "application/json"},
                       body: JSON.stringify(body || {})})
      .then(function (r) { return r.json().catch(function () { return {}; }).then(function (j) { return {ok: r.ok, status: r.status, body: j}; }); });
  }

  function reloadAt(path) {
    try { if (path) sessionStorage.setItem(KEY, path); } catch (e) { /* storage off */ }
    window.location.reload();
  }

  function infoOf(field) {
    var pattern = field.getAttribute("data-path").replace(/\[\d+\]/g, "[0]");
    return data.kinds[pattern] || {kind: "text"};
  }

  /* the value as JSON, from its shown text (the page shows values as the record holds them) */
  function fieldValue(field) {
    if (field.classList.contains("empty")) return null;
    var text = field.querySelector(".value").textContent;
    var kind = infoOf(field).kind;
    if (kind === "int") return parseInt(text, 10);
    if (kind === "bool") return text === "yes";
    return text;
  }

  var acts = document.createElement("span");
  acts.className = "acts";
  acts.innerHTML = '<button type="button" class="accept" title="accept (a)">accept</button>' +
    '<button type="button" class="edit" title="edit (e)">edit</button>' +
    '<button type="button" class="remove" title="remove">remove</button>';

  function change(body, onError) {
    return post(data.api + "/changes", body).then(function (r) {
      if (r.ok) { reloadAt(body.path); return; }
      var text = (r.body && r.body.detail) || ("refused (" + r.status + ")");
      say(text, true);
      if (onError) onError(text);
    });
  }

  /* the next field a finding names (folded lists included: the server said which comes first) */
  function nextFlagged() {
    for (var i = current + 1; i < fields.length; i++) {
      if (fields[i].classList.contains("flagged")) { select(i); return; }
    }
    var groups = Array.prototype.slice.call(record.querySelectorAll('details.group[data-lazy="1"]'))
      .filter(function (g) { return /flagged/.test(g.querySelector("summary").textContent); });
    if (groups.length) { groups[0].open = true; loadGroup(groups[0]).then(nextFlagged); return; }
    for (var k = 0; k <= current && k < fields.length; k++) {
      if (fields[k].classList.contains("flagged")) { select(k); return; }
    }
    say("nothing else is flagged");
  }

  function accept() {
    if (current < 0) return;
    var f = fields[current];
    if (f.classList.contains("add")) return;
    change({op: "accept", path: f.getAttribute("data-path")});
  }

  function remove(field) {
    change({op: "remove", path: field.getAttribute("data-path"), old: fieldValue(field)});
  }

  function inputFor(info, value) {
    var el;
    if (info.kind === "enum" || info.kind === "bool") {
      el = document.createElement("select");
      var choices = info.kind === "bool" ? [["true", "yes"], ["false", "no"]] : info.choices.map(function (c) { return [c, c]; });
      [["", "(empty)"]].concat(choices).forEach(function (c) {
        var o = document.createElement("option");
        o.value = c[0]; o.textContent = c[1];
        if (String(value) === c[0]) o.selected = true;
        el.appendChild(o);
      });
    } else if (info.kind === "long") {
      el = document.createElement("textarea");
      el.rows = 6;
      el.value = value == null ? "" : value;
    } else {
      el = document.createElement("input");
      el.type = info.kind === "int" ? "number" : "text";
      if (info.kind === "date") { el.placeholder = "YYYY, YYYY-MM or YYYY-MM-DD"; el.pattern = "\\d{4}(-\\d{2}(-\\d{2})?)?"; }
      if (info.kind === "age") el.placeholder = "e.g. 18 Years";
      el.value = value == null ? "" : value;
    }
    el.id = "editor-input";
    return el;
  }

  function typed(info, raw) {
    if (raw === "") return null;
    if (info.kind === "int") return /^-?\d+$/.test(raw) ? parseInt(raw, 10) : raw;
    if (info.kind === "bool") return raw === "true";
    return raw;
  }

  function edit(field, span) {
    if (!field) return;
    var path = field.getAttribute("data-path");
    var info = infoOf(field);
    var old = fieldValue(field);
    editor.innerHTML = "";
    var label = document.createElement("label");
    label.textContent = path + " (" + info.kind + ")";
    editor.appendChild(label);
    var value = span ? span.quote : old;
    var input = inputFor(info, value);
    editor.appendChild(input);
    var note = document.createElement("div");
    note.className = "muted";
    if (span) note.textContent = "evidence: characters " + span.start + "-" + span.end + " of the page";
    editor.appendChild(note);
    var err = document.createElement("div");
    err.className = "err"; err.id = "editor-error";
    editor.appendChild(err);
    var save = document.createElement("button");
    save.type = "button"; save.id = "editor-save"; save.textContent = "save (Enter)";
    var cancel = document.createElement("button");
    cancel.type = "button"; cancel.textContent = "cancel (Esc)";
    editor.appendChild(save); editor.appendChild(document.createTextNode(" ")); editor.appendChild(cancel);
    editor.hidden = false;
    input.focus();
    function submit() {
      var body = {op: "set", path: path, old: old, new: typed(info, input.value)};
      if (span) { body.start = span.start; body.end = span.end; }
      change(body, function (text) { err.textContent = text; });
    }
    save.onclick = submit;
    cancel.onclick = closeEditor;
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && input.tagName !== "TEXTAREA") { ev.preventDefault(); submit(); }
      if (ev.key === "Escape") { ev.preventDefault(); closeEditor(); }
    });
  }

  function closeEditor() {
    editor.hidden = true;
    editor.innerHTML = "";
    if (current >= 0) fields[current].focus({preventScroll: true});
  }

  /* the offset of a point of the page text in the text itself (marks and chunks add no text) */
  function offsetOf(node, offset) {
    var range = document.createRange();
    range.setStart(pageText, 0);
    range.setEnd(node, offset);
    return range.toString().length;
  }

  function showSelectionBar() {
    var bar = document.getElementById("selbar");
    if (bar) bar.remove();
    if (!selection) return;
    bar = document.createElement("div");
    bar.id = "selbar";
    var quote = selection.quote.length > 60 ? selection.quote.slice(0, 57) + "..." : selection.quote;
    bar.appendChild(document.createTextNode("\u201c" + quote + "\u201d as "));
    var pick = document.createElement("select");
    pick.id = "selbar-field";
    fields.forEach(function (f, i) {
      var o = document.createElement("option");
      o.value = String(i);
      o.textContent = f.querySelector(".name").textContent;
      if (i === current) o.selected = true;
      pick.appendChild(o);
    });
    bar.appendChild(pick);
    var use = document.createElement("button");
    use.type = "button"; use.id = "selbar-use"; use.textContent = "use";
    use.onclick = function () {
      var i = parseInt(pick.value, 10);
      var span = selection;
      selection = null; bar.remove();
      select(i, false);
      edit(fields[i], span);
    };
    bar.appendChild(document.createTextNode(" "));
    bar.appendChild(use);
    document.body.appendChild(bar);
  }

  pageText.addEventListener("mouseup", function () {
    var sel = window.getSelection();
    if (!sel || sel.isCollapsed || !pageText.contains(sel.anchorNode) || !pageText.contains(sel.focusNode)) return;
    var range = sel.getRangeAt(0);
    var start = offsetOf(range.startContainer, range.startOffset);
    var end = offsetOf(range.endContainer, range.endOffset);
    var text = range.toString();
    var lead = text.length - text.replace(/^\s+/, "").length;
    var trail = text.length - text.replace(/\s+$/, "").length;
    if (end - start - lead - trail <= 0) return;
    selection = {start: start + lead, end: end - trail, quote: text.trim()};
    showSelectionBar();
  });

  pageText.addEventListener("click", function (ev) {
    var sel = window.getSelection();
    if (sel && !sel.isCollapsed) return;
    var mark = ev.target.closest("mark");
    if (!mark) return;
    selectPath(mark.getAttribute("data-path"), false).then(function (found) {
      if (found) fields[current].scrollIntoView({block: "nearest"});
    });
  });

  record.addEventListener("click", function (ev) {
    var item = ev.target.closest(".remove-item");
    if (item) {
      var holder = item.closest(".item");
      change({op: "remove", path: holder.getAttribute("data-path")});
      return;
    }
    var field = ev.target.closest(".field");
    if (!field) return;
    var i = fields.indexOf(field);
    if (ev.target.closest("button.accept")) { select(i, false); accept(); return; }
    if (ev.target.closest("button.edit")) { select(i, false); edit(field); return; }
    if (ev.target.closest("button.remove")) { remove(field); return; }
    select(i);
  });

  document.getElementById("undo").addEventListener("click", function () {
    post(data.api + "/undo").then(function (r) {
      if (r.ok) reloadAt(r.body.undone && r.body.undone.path);
      else say((r.body && r.body.detail) || "nothing to undo", true);
    });
  });

  document.getElementById("mark-reviewed").addEventListener("click", function () {
    post(data.api + "/reviewed", {reviewed: !data.reviewed}).then(function (r) {
      if (r.ok) reloadAt(null); else say((r.body && r.body.detail) || "refused", true);
    });
  });

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var tag = (ev.target && ev.target.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
    if (ev.key === "j" || ev.key === "ArrowDown") { ev.preventDefault(); select(current < 0 ? 0 : current + 1); }
    else if (ev.key === "k" || ev.key === "ArrowUp") { ev.preventDefault(); select(Math.max(0, current - 1)); }
    else if (ev.key === "f") { ev.preventDefault(); nextFlagged(); }
    else if (ev.key === "a") { ev.preventDefault(); accept(); }
    else if (ev.key === "e") { ev.preventDefault(); if (current >= 0) edit(fields[current]); }
    else if (ev.key === "n") { if (data.next) window.location.href = data.next; }
    else if (ev.key === "Escape") { closeEditor(); }
  });

  var remembered = null;
  try { remembered = sessionStorage.getItem(KEY); } catch (e) { /* storage off */ }
  var wanted = [remembered, location.hash.length > 1 ? decodeURIComponent(location.hash.slice(1)) : null, data.flagged];
  (function next(k) {
    if (k >= wanted.length) { if (fields.length) select(0, false); return; }
    if (!wanted[k]) { next(k + 1); return; }
    selectPath(wanted[k]).then(function (found) { if (!found) next(k + 1); });
  })(0);
})();
