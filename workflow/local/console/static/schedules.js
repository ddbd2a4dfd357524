// EventBridge Scheduler schedules: expression, time zone, next firing, the runs each started.
import { badge, esc, every, nameOf } from "./util.js";

const at = (text) => (text ? new Date(text.replace(" ", "T")).toLocaleString() : "—");

function row(s) {
  const runs = s.executions.length
    ? s.executions.map((e) => `<a href="#/execution/${encodeURIComponent(e.arn)}">${esc(e.name)}</a> ${badge(e.status)}`).join("<br>")
    : `<span class="muted">none yet</span>`;
  return `<tr data-schedule="${esc(s.name)}"><td>${esc(s.group)}/${esc(s.name)}</td>
    <td><code>${esc(s.expression)}</code><br><span class="small">${esc(s.timezone)}</span></td>
    <td>${badge(s.state)}</td><td class="next">${at(s.next_firing)}</td>
    <td class="small">${esc(nameOf(s.target_arn))}</td><td class="small">${runs}</td></tr>`;
}

export async function renderSchedules(view) {
  view.innerHTML = `<div class="toolbar"><h1>Schedules</h1></div>
    <div class="panel" id="schedules"><p class="muted">Loading…</p></div>`;
  document.title = "Schedules";
  const refresh = async () => {
    const answer = await fetch("/console/schedules.json");
    const document_ = await answer.json();
    const box = view.querySelector("#schedules");
    if (!answer.ok) {
      box.innerHTML = `<p class="err">${esc(document_.message)}</p>`;
      return;
    }
    box.innerHTML = document_.schedules.length
      ? `<table><thead><tr><th>Schedule</th><th>Expression</th><th>State</th><th>Next firing</th><th>Target</th><th>Runs it started</th></tr></thead>
        <tbody>${document_.schedules.map(row).join("")}</tbody></table>`
      : `<p class="muted">No schedules. Create one with <code>deploy_workflow.py schedule create</code> or <code>run --schedule "rate(1 day)"</code>.</p>`;
  };
  return every(5000, async () => { await refresh(); }, () => true);
}
