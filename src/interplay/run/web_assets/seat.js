// A participant's seat: claim it once with the link's token, then poll the question and post answers.
"use strict";
const seat = decodeURIComponent(location.pathname.split("/").pop());
const api = (p) => `/api/seat/${encodeURIComponent(seat)}/${p}`;
const $ = (id) => document.getElementById(id);
let shown = null;

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "onclick") e.onclick = v; else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
}
function table(head, rows) {
  return el("table", {}, el("thead", {}, el("tr", {}, ...head.map((h) => el("th", {}, h)))),
            el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((c) => el("td", {}, c))))));
}
async function post(path, body) {
  const r = await fetch(api(path), {method: "POST", headers: {"Content-Type": "application/json"},
                                    body: JSON.stringify(body), credentials: "same-origin"});
  let data = {};
  try { data = await r.json(); } catch (e) { /* empty */ }
  return [r.status, data];
}
async function send(ask, answer) {
  $("error").textContent = "";
  const [code, data] = await post("answer", {id: ask.id, ...answer});
  if (code !== 200) { $("error").textContent = `${code}: ${data.error || "refused"}`; return; }
  shown = null; $("ask").replaceChildren(el("p", {class: "note"}, "Sent. Waiting for the next question…"));
  poll();
}

function game(ask) {
  const parts = [el("p", {}, `You are ${ask.you}, playing ${ask.game} against ${ask.names.filter((n) => n !== ask.you).join(", ")}.`
                    + ` Round ${ask.round}` + (ask.horizon ? ` of ${ask.horizon}.` : "."))];
  parts.push(el("h2", {}, "Payoffs of each joint action"));
  parts.push(table([ask.names.join(" / "), ...ask.names.map((n) => `${n} gets`)], ask.payoff_table.map((c) => [c.actions.join(" / "), ...c.payoffs])));
  if (ask.history.length) {
    parts.push(el("h2", {}, "So far"));
    const rows = ask.history.map((h) => [h.round, ...h.actions, ...h.rewards]);
    rows.push(["total", ...ask.names.map(() => ""), ...ask.totals]);
    parts.push(table(["round", ...ask.names.map((n) => `${n} played`), ...ask.names.map((n) => `${n} payoff`)], rows));
    parts.push(el("p", {id: "totals"}, `Your total so far: ${ask.totals[ask.seat_index]}`));
  }
  if (ask.messages.length) {
    parts.push(el("h2", {}, "Messages"));
    for (const m of ask.messages) parts.push(el("div", {class: "msg"}, `round ${m.round}, ${m.sender}: ${m.text}`));
  }
  return parts;
}

function render(st) {
  const ask = st.ask;
  const box = $("ask");
  if (!ask) { box.replaceChildren(el("p", {class: "note"}, st.finished ? "" : "Waiting for your next turn…")); shown = null; return; }
  if (shown === ask.id) return;
  shown = ask.id;
  const parts = [];
  if (ask.kind === "move") {
    parts.push(...game(ask));
    parts.push(el("h2", {}, "Your move"));
    parts.push(el("div", {id: "actions"}, ...ask.legal.map((a, i) => el("button", {"data-action": i, onclick: () => send(ask, {action: i})}, a))));
  } else if (ask.kind === "talk") {
    parts.push(...game(ask));
    parts.push(el("h2", {}, `Message to ${ask.to.join(", ")} (cheap talk; leave empty to say nothing)`));
    const t = el("textarea", {id: "talk"});
    parts.push(t, el("div", {}, el("button", {onclick: () => send(ask, {text: t.value})}, "Send message")));
  } else if (ask.kind === "contract") {
    parts.push(...game(ask));
    parts.push(el("h2", {}, "A contract is proposed"));
    parts.push(el("div", {class: "msg", id: "contract-text"}, ask.contract));
    parts.push(el("p", {class: "note"}, "It binds only if every player accepts; the table above is the game with it. "
                  + "Without it the payoffs are:"));
    parts.push(table([ask.names.join(" / "), ...ask.names.map((n) => `${n} gets`)], ask.base_table.map((c) => [c.actions.join(" / "), ...c.payoffs])));
    parts.push(el("div", {id: "vote"}, el("button", {onclick: () => send(ask, {accept: true})}, "Accept contract"), " ",
                  el("button", {onclick: () => send(ask, {accept: false})}, "Reject contract")));
  } else if (ask.kind === "commit") {
    parts.push(...game(ask));
    parts.push(el("h2", {}, "Announce a commitment (the game enforces it)"));
    const pick = (id, chosen) => el("select", {id}, ...ask.legal.map((a, i) => {
      const o = el("option", {value: i}, a); if (i === chosen) o.setAttribute("selected", ""); return o; }));
    const act = pick("commit-action", ask.cooperate);
    const ifAct = pick("cond-action", ask.cooperate);
    const elseAct = pick("cond-else", ask.defect);
    parts.push(el("p", {}, "Play ", act, " whatever happens: ",
                  el("button", {onclick: () => send(ask, {commitment: "commit", action: Number(act.value)})}, "Commit")));
    parts.push(el("p", {}, "Play ", ifAct, " if every other player commits to cooperate, else ", elseAct, ": ",
                  el("button", {onclick: () => send(ask, {commitment: "conditional", action: Number(ifAct.value),
                                                          else: Number(elseAct.value)})}, "Commit conditionally")));
    parts.push(el("p", {}, "Choose later, freely: ",
                  el("button", {onclick: () => send(ask, {commitment: "none"})}, "No commitment")));
  } else if (ask.kind === "negotiate") {
    parts.push(el("p", {}, `You are ${ask.you} in ${ask.game} (parties: ${ask.names.join(", ")}). Move ${ask.turn} of at most ${ask.max_turns}.`));
    parts.push(el("div", {class: "note"}, ask.description));
    parts.push(el("h2", {}, "Your private information"), el("div", {class: "msg", id: "private"}, ask.private));
    if (ask.history.length) {
      parts.push(el("h2", {}, "Moves so far"));
      parts.push(table(["", "party", "move"], ask.history.map((h, i) => [i + 1, h.who, h.text])));
    }
    if (ask.messages.length) {
      parts.push(el("h2", {}, "Messages"));
      for (const m of ask.messages) parts.push(el("div", {class: "msg"}, `${m.sender}: ${m.text}`));
    }
    parts.push(el("p", {id: "table"}, ask.table));
    if (ask.feedback) parts.push(el("p", {class: "error", id: "feedback"}, ask.feedback));
    parts.push(el("h2", {}, "Message to the others (optional)"));
    const t = el("textarea", {id: "message"});
    parts.push(t, el("h2", {}, "Your move"));
    const moves = el("div", {id: "moves"});
    if (ask.offer) {
      const picks = ask.fields.map(([name, values]) => el("select", {id: `field-${name}`, "data-field": name},
        ...values.map((v) => el("option", {value: v}, v))));
      moves.append(el("p", {}, ...ask.fields.flatMap(([name], i) => [`${name} `, picks[i], " "]),
        el("button", {onclick: () => send(ask, {message: t.value,
          move: `${ask.offer_word} ` + picks.map((p) => `${p.dataset.field}=${p.value}`).join(" ")})},
          ask.offer_word === "PROPOSE" ? "Propose this deal" : "Offer this deal")));
    }
    if (ask.accept) moves.append(el("button", {onclick: () => send(ask, {message: t.value, move: "ACCEPT"})}, "Accept"), " ");
    if (ask.reject) moves.append(el("button", {onclick: () => send(ask, {message: t.value, move: "REJECT"})}, "Reject"));
    parts.push(moves);
  } else if (ask.kind === "judge") {
    parts.push(el("h2", {}, "Judge: the question and what was said"));
    parts.push(el("div", {class: "msg", id: "judge-text"}, ask.text));
    parts.push(el("h2", {}, "Which answer is correct?"));
    const opts = ask.options.map((o, i) => el("label", {}, el("input", {type: "radio", name: "choice", value: i}), ` ${o}`, el("br")));
    const conf = el("input", {type: "range", min: 50, max: 100, value: 75, id: "confidence"});
    const confShown = el("span", {id: "confidence-shown"}, "75%");
    conf.oninput = () => { confShown.textContent = `${conf.value}%`; };
    parts.push(el("div", {id: "options"}, ...opts), el("p", {}, "Your confidence: ", conf, " ", confShown));
    parts.push(el("button", {onclick: () => {
      const c = document.querySelector("input[name=choice]:checked");
      send(ask, {choice: c ? Number(c.value) : null, confidence: Number(conf.value) / 100});
    }}, "Submit judgement"));
  } else if (ask.kind === "ask") {
    parts.push(el("h2", {}, "Judge: ask the debaters a question"));
    parts.push(el("div", {class: "msg"}, ask.text));
    const t = el("textarea", {id: "question"});
    parts.push(t, el("div", {}, el("button", {onclick: () => send(ask, {text: t.value})}, "Send question")));
  } else if (ask.kind === "advise") {
    parts.push(el("h2", {}, ask.prompt || "Advise the group"));
    parts.push(el("p", {class: "note"}, "Rank the options (best first) with the arrows, or approve some, or score each 0-10; then send."));
    let order = ask.options.slice();
    const list = el("ol", {class: "rank", id: "ranking"});
    const draw = () => list.replaceChildren(...order.map((o, i) => el("li", {"data-option": o}, o, " ",
      el("button", {title: "up", onclick: () => { if (i > 0) { [order[i - 1], order[i]] = [order[i], order[i - 1]]; draw(); } }}, "↑"),
      el("button", {title: "down", onclick: () => { if (i < order.length - 1) { [order[i + 1], order[i]] = [order[i], order[i + 1]]; draw(); } }}, "↓"))));
    draw();
    parts.push(el("h2", {}, "Rank"), list, el("button", {onclick: () => send(ask, {mode: "rank", ranking: order})}, "Send ranking"));
    const boxes = ask.options.map((o) => el("label", {}, el("input", {type: "checkbox", value: o, name: "approve"}), ` ${o} `));
    parts.push(el("h2", {}, "Approve"), el("div", {}, ...boxes), el("button", {onclick: () => send(ask, {mode: "approve",
      approved: [...document.querySelectorAll("input[name=approve]:checked")].map((b) => b.value)})}, "Send approvals"));
    const scores = ask.options.map((o) => el("input", {type: "number", min: 0, max: 10, value: 5, "data-option": o, name: "score"}));
    parts.push(el("h2", {}, "Score"), table(["option", "score"], ask.options.map((o, i) => [o, scores[i]])),
      el("button", {onclick: () => send(ask, {mode: "score", scores: Object.fromEntries(scores.map((s) => [s.dataset.option, Number(s.value)]))})}, "Send scores"));
  }
  box.replaceChildren(...parts);
}

async function poll() {
  let r;
  try { r = await fetch(api("state"), {credentials: "same-origin"}); } catch (e) {
    $("status").textContent = "the run's server is gone (the run is over)"; return false;
  }
  if (r.status !== 200) { $("status").textContent = `${r.status}: this browser does not hold the seat`; return false; }
  const st = await r.json();
  $("title").textContent = `interplay: seat ${st.seat} (${st.role})`;
  $("status").textContent = st.finished ? "The run is over. Thank you!"
    : `status: ${st.status}` + (st.waiting ? ` (${st.waiting} more waiting)` : "");
  render(st);
  if (st.done.length) {
    $("done").replaceChildren(el("h2", {}, "Your answers"), table(["", "answer"], st.done.map((d) => [d.title, d.answer])));
  }
  return !st.finished;
}

async function start() {
  const m = location.hash.match(/token=([^&]+)/);
  if (m) {
    const [code, data] = await post("claim", {token: decodeURIComponent(m[1])});
    history.replaceState(null, "", location.pathname);  // the token leaves the address bar
    if (code !== 200) {
      const r = await fetch(api("state"), {credentials: "same-origin"});
      if (r.status !== 200) { $("status").textContent = `${code}: ${data.error || "refused"}`; return; }
    }
  }
  const loop = async () => { if (await poll()) setTimeout(loop, 400); };
  loop();
}
start();
