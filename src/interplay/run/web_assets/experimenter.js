// The experimenter's page: seats, their links, the run's progress (the secret is in the URL fragment).
"use strict";
const m = location.hash.match(/admin=([^&]+)/);
const secret = m ? decodeURIComponent(m[1]) : sessionStorage.getItem("interplay-admin");
if (m) { sessionStorage.setItem("interplay-admin", secret); history.replaceState(null, "", location.pathname); }
const $ = (id) => document.getElementById(id);
function cell(v) { const td = document.createElement("td"); if (v instanceof Node) td.append(v); else td.textContent = v ?? ""; return td; }
async function poll() {
  let r;
  try { r = await fetch("/api/overview", {headers: {Authorization: `Bearer ${secret}`}}); } catch (e) {
    $("status").textContent = "the run's server is gone (the run is over)"; return;
  }
  if (r.status !== 200) { $("status").textContent = `${r.status}: open the experimenter's link printed by interplay serve`; return; }
  const d = await r.json();
  const res = d.results || {};
  $("status").textContent = d.finished ? `the run is over (${res.status || "?"})` : `run: ${res.status || "starting"}`;
  const body = $("seats").querySelector("tbody");
  body.replaceChildren(...d.seats.map((s) => {
    const tr = document.createElement("tr");
    let link = document.createElement("button");
    link.textContent = "new link";
    link.title = "a new one-time link for this seat (the browser holding it loses it)";
    link.onclick = async () => {
      await fetch(`/api/seat/${encodeURIComponent(s.seat)}/reissue`, {method: "POST", headers: {Authorization: `Bearer ${secret}`}});
    };  // the page's next poll shows the new link
    if (s.link) { const a = document.createElement("a"); a.href = s.link; a.textContent = `${location.origin}${s.link}`; a.className = "seat-link"; a.dataset.seat = s.seat; link = a; }
    for (const v of [s.seat, s.role, s.status, s.answers, s.fallbacks, s.timeouts, s.rejoins, link]) tr.append(cell(v));
    return tr;
  }));
  const run = $("run");
  run.replaceChildren();
  const units = res.units || {};
  const p = document.createElement("p");
  p.textContent = `units done: ${units.done ?? 0}` + (units.planned ? ` of ${units.planned}` : "");
  run.append(p);
  if ((res.matches || []).length) {
    const t = document.createElement("table");
    t.innerHTML = "<thead><tr><th>match</th><th>players</th><th>totals</th><th>rounds</th></tr></thead>";
    const tb = document.createElement("tbody");
    for (const mm of res.matches) {
      const tr = document.createElement("tr");
      for (const v of [mm.unit, mm.names.join(" vs "), mm.totals.join(" : "), mm.length]) tr.append(cell(v));
      tb.append(tr);
    }
    t.append(tb); run.append(t);
  }
  for (const k of ["judge_accuracy", "shapley"]) {
    if (res[k]) { const pre = document.createElement("pre"); pre.textContent = `${k}: ${JSON.stringify(res[k], null, 1)}`; run.append(pre); }
  }
  if (!d.finished) setTimeout(poll, 700);
}
poll();
