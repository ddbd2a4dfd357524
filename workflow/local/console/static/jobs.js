// Training and tuning jobs an execution started: status, the five checks, profile, loss curve, logs,
// and the Debugger rules of jobs that ran with Debugger.
import { sagemaker } from "./api.js";
import { badge, esc, when } from "./util.js";

// Job names from the TaskScheduled events of SageMaker tasks.
export function jobsOf(events) {
  const training = new Set();
  const tuning = new Set();
  for (const e of events) {
    const d = e.taskScheduledEventDetails;
    if (!d || d.resourceType !== "sagemaker") continue;
    let params = {};
    try { params = JSON.parse(d.parameters || "{}"); } catch { continue; }
    if (d.resource.startsWith("createTrainingJob") && params.TrainingJobName) training.add(params.TrainingJobName);
    if (d.resource.startsWith("createHyperParameterTuningJob") && params.HyperParameterTuningJobName) tuning.add(params.HyperParameterTuningJobName);
  }
  return { training: [...training], tuning: [...tuning] };
}

// Epoch n/N, latest metrics and time left of running jobs (the lines `run` prints).
async function progress(kind, name) {
  const answer = await fetch(`/console/progress.json?${kind}=${encodeURIComponent(name)}`);
  if (!answer.ok) return "";
  const { jobs } = await answer.json();
  if (!jobs.length) return "";
  return `<ul class="progress" data-progress="${esc(name)}">${jobs.map((j) => `<li>${esc(j.line)}</li>`).join("")}</ul>`;
}

async function files(name) {
  const answer = await fetch(`/console/jobs/${encodeURIComponent(name)}`);
  return answer.ok ? (await answer.json()).files : {};
}

function links(name, available) {
  const out = [];
  const href = (kind) => `/console/jobs/${encodeURIComponent(name)}/${kind}`;
  if (available.log) out.push(`<a href="${href("log")}" target="_blank" data-link="log">training log</a>`);
  if (available.metrics) out.push(`<a href="${href("metrics")}" target="_blank">metrics</a>`);
  if (available.failure) out.push(`<a href="${href("failure")}" target="_blank">failure reason</a>`);
  if (available["profiler-report"]) out.push(`<a href="${href("profiler-report")}" target="_blank" data-link="profiler">profiler report</a>`);
  if (available["rule-summary"]) out.push(`<a href="${href("rule-summary")}" target="_blank">rule summary</a>`);
  if (available.diagnostics) out.push(`<a href="${href("diagnostics")}" target="_blank">checks report</a>`);
  if (available["profile-summary"]) out.push(`<a href="${href("profile-summary")}" target="_blank" data-link="profile-summary">profile summary</a>`);
  return out.length ? out.join(" · ") : `<span class="muted">no log files on this server</span>`;
}

async function artifacts(name) {
  const answer = await fetch(`/console/jobs/${encodeURIComponent(name)}/artifacts`);
  return answer.ok ? (await answer.json()).prefixes : [];
}

function size(bytes) {
  const units = ["B", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return `${unit ? value.toFixed(1) : value} ${units[unit]}`;
}

// The job's objects in S3, each a link that downloads it (a presigned GET URL).
function s3Links(prefixes) {
  const rows = prefixes.filter((p) => p.objects.length).map((p) => `<li><code>${esc(p.uri)}</code><ul>
    ${p.objects.map((o) => `<li><a href="${esc(o.url)}" download data-artifact="${esc(o.key)}">${esc(o.key)}</a> <span class="muted small">${size(o.size)}</span></li>`).join("")}
    ${p.more ? `<li class="muted small">… more under this prefix (aws s3 ls ${esc(p.uri)})</li>` : ""}</ul></li>`);
  return rows.length ? `<ul class="artifacts">${rows.join("")}</ul>` : `<span class="muted">nothing in S3 yet</span>`;
}

async function jobJson(name, kind, available) {
  if (!available[kind]) return null;
  const answer = await fetch(`/console/jobs/${encodeURIComponent(name)}/${kind}`);
  return answer.ok ? answer.json() : null;
}

// The five checks train.py judged: verdicts from its metric lines, details from its report.
function checksTable(job, report) {
  const details = Object.fromEntries(((report && report.rules) || []).map((r) => [r.rule, r.details]));
  const verdicts = (job.FinalMetricDataList || []).filter((m) => m.MetricName.startsWith("rule:"));
  if (!verdicts.length) return "";
  const row = (m) => {
    const rule = m.MetricName.slice("rule:".length);
    return `<tr data-check="${esc(rule)}"><td>${esc(rule)}</td><td>${badge(Number(m.Value) ? "IssuesFound" : "NoIssuesFound")}</td><td class="small">${esc(details[rule] || "")}</td></tr>`;
  };
  return `<h2 style="margin-top:12px">Checks (train.py)</h2><table class="rules checks"><thead><tr><th>Rule</th><th>Verdict</th><th>Details</th></tr></thead><tbody>${verdicts.map(row).join("")}</tbody></table>`;
}

function profileLine(profile) {
  if (!profile) return "";
  return `<dt>Profile</dt><dd data-profile="${esc(profile.verdict)}"><b>${esc(profile.verdict)}</b>: ${esc(profile.evidence)}</dd>`;
}

async function trainingJob(name) {
  let job;
  try {
    job = await sagemaker("DescribeTrainingJob", { TrainingJobName: name });
  } catch (err) {
    return `<div class="panel"><h2>${esc(name)}</h2><p class="muted">${esc(err.message)}</p></div>`;
  }
  const [available, running, stored] = await Promise.all([
    files(name), job.TrainingJobStatus === "InProgress" ? progress("training", name) : "", artifacts(name)]);
  const [report, profile] = await Promise.all([jobJson(name, "diagnostics", available),
                                               jobJson(name, "profile-summary", available)]);
  const rules = job.DebugRuleEvaluationStatuses || [];
  const lossCurve = available["loss-curve"] ? "loss-curve" : available["debugger-loss-curve"] ? "debugger-loss-curve" : null;
  const metrics = (job.FinalMetricDataList || []).filter((m) => !m.MetricName.startsWith("rule:")).map((m) => `${esc(m.MetricName)} = ${Number(m.Value).toPrecision(4)}`).join(", ");
  return `<div class="panel" data-job="${esc(name)}">
    <h2>${esc(name)} ${badge(job.TrainingJobStatus)}</h2>${running}
    <dl class="kv"><dt>Secondary status</dt><dd>${esc(job.SecondaryStatus || "")}</dd>
      <dt>Started</dt><dd>${when(job.TrainingStartTime)}</dd><dt>Ended</dt><dd>${when(job.TrainingEndTime)}</dd>
      ${job.FailureReason ? `<dt>Failure</dt><dd class="err">${esc(job.FailureReason)}</dd>` : ""}
      <dt>Final metrics</dt><dd>${metrics || "—"}</dd>${profileLine(profile)}<dt>Files</dt><dd>${links(name, available)}</dd>
      <dt>S3 artifacts</dt><dd>${s3Links(stored)}</dd></dl>
    ${checksTable(job, report)}
    ${rules.length ? `<h2 style="margin-top:12px">Debugger rules</h2><table class="rules"><thead><tr><th>Rule</th><th>Status</th><th>Details</th></tr></thead><tbody>
      ${rules.map((r) => `<tr><td>${esc(r.RuleConfigurationName)}</td><td>${badge(r.RuleEvaluationStatus)}</td><td class="small">${esc(r.StatusDetails || "")}</td></tr>`).join("")}</tbody></table>` : ""}
    ${lossCurve ? `<h2 style="margin-top:12px">Loss curve</h2><img class="loss" alt="loss curve of ${esc(name)}" src="/console/jobs/${encodeURIComponent(name)}/${lossCurve}">` : ""}
  </div>`;
}

async function tuningJob(name) {
  try {
    const job = await sagemaker("DescribeHyperParameterTuningJob", { HyperParameterTuningJobName: name });
    const best = job.BestTrainingJob;
    const c = job.TrainingJobStatusCounters || {};
    const running = job.HyperParameterTuningJobStatus === "InProgress" ? await progress("tuning", name) : "";
    return `<div class="panel" data-tuning="${esc(name)}"><h2>Tuning job ${esc(name)} ${badge(job.HyperParameterTuningJobStatus)}</h2>${running}
      <dl class="kv"><dt>Training jobs</dt><dd>${c.Completed || 0} completed, ${c.InProgress || 0} in progress, ${(c.RetryableError || 0) + (c.NonRetryableError || 0)} failed, ${c.Stopped || 0} stopped</dd>
      <dt>Best job</dt><dd>${best ? `${esc(best.TrainingJobName)} (${esc(best.FinalHyperParameterTuningJobObjectiveMetric?.MetricName)} = ${esc(best.FinalHyperParameterTuningJobObjectiveMetric?.Value)})` : "—"}</dd>
      <dt>Best hyperparameters</dt><dd><code>${best ? esc(JSON.stringify(best.TunedHyperParameters)) : "—"}</code></dd></dl></div>`;
  } catch (err) {
    return `<div class="panel"><h2>Tuning job ${esc(name)}</h2><p class="muted">${esc(err.message)}</p></div>`;
  }
}

export async function renderJobs(target, events) {
  const { training, tuning } = jobsOf(events);
  if (!training.length && !tuning.length) {
    target.innerHTML = `<p class="muted">This execution started no SageMaker training or tuning jobs.</p>`;
    return;
  }
  const parts = await Promise.all([...tuning.map(tuningJob), ...training.map(trainingJob)]);
  target.innerHTML = parts.join("");
}
