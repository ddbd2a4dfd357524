// Endpoints: status, instance count over time (scaling activities), invocation metrics.
import { all, autoscaling, cloudwatch, sagemaker } from "./api.js";
import { badge, esc, every, when } from "./util.js";

const COUNT = /desired instance count to (\d+)/i;

// A step chart of the instance count: the variant's initial count, then each
// successful scaling activity's new desired count, up to now.
function countChart(variant, activities) {
  const points = [];
  const done = activities.filter((a) => a.StatusCode === "Successful" && COUNT.test(a.Description || ""))
    .sort((a, b) => a.StartTime - b.StartTime);
  const now = Date.now() / 1000;
  const first = done.length ? done[0].StartTime - 60 : now - 600;
  let count = done.length ? Number(COUNT.exec(done[0].Description)[1]) : variant.CurrentInstanceCount || 0;
  if (done.length) count = Math.max(1, count - 1);
  points.push([first, variant.CurrentInstanceCount && !done.length ? variant.CurrentInstanceCount : count]);
  for (const a of done) points.push([a.EndTime || a.StartTime, Number(COUNT.exec(a.Description)[1])]);
  points.push([now, variant.CurrentInstanceCount ?? points[points.length - 1][1]]);
  const w = 640, h = 150, pad = 30;
  const t0 = points[0][0], t1 = Math.max(now, t0 + 1);
  const maxCount = Math.max(2, ...points.map((p) => p[1]), variant.DesiredInstanceCount || 0);
  const x = (t) => pad + ((t - t0) / (t1 - t0)) * (w - 2 * pad);
  const y = (c) => h - pad + 10 - (c / maxCount) * (h - pad - 10);
  let d = `M${x(points[0][0])},${y(points[0][1])}`;
  for (let i = 1; i < points.length; i += 1) d += ` H${x(points[i][0])} V${y(points[i][1])}`;
  const ticks = Array.from({ length: maxCount + 1 }, (_, c) => `<text x="${pad - 8}" y="${y(c) + 4}" text-anchor="end" font-size="10" fill="#5f6b7a">${c}</text>
    <line x1="${pad}" x2="${w - pad}" y1="${y(c)}" y2="${y(c)}" stroke="#eaeded"/>`).join("");
  return `<svg class="chart" viewBox="0 0 ${w} ${h}" role="img" aria-label="instance count over time">${ticks}
    <path d="${d}" fill="none" stroke="#0073bb" stroke-width="2"/>
    <text x="${pad}" y="${h - 4}" font-size="10" fill="#5f6b7a">${esc(when(t0))}</text>
    <text x="${w - pad}" y="${h - 4}" font-size="10" fill="#5f6b7a" text-anchor="end">now</text></svg>`;
}

const WINDOW = 15 * 60;
const PERIOD = 60;

// The variant's AWS/SageMaker metrics over the last 15 minutes, one value a minute,
// read through CloudWatch's GetMetricData as any AWS client does.
async function variantMetrics(endpoint, variant) {
  const dimensions = [{ Name: "EndpointName", Value: endpoint }, { Name: "VariantName", Value: variant }];
  const query = (Id, MetricName, Stat) => ({
    Id, MetricStat: { Metric: { Namespace: "AWS/SageMaker", MetricName, Dimensions: dimensions }, Period: PERIOD, Stat },
  });
  const end = Math.ceil(Date.now() / 1000 / PERIOD) * PERIOD;
  const answer = await cloudwatch("GetMetricData", {
    StartTime: end - WINDOW, EndTime: end, ScanBy: "TimestampAscending",
    MetricDataQueries: [query("calls", "Invocations", "Sum"), query("p50", "ModelLatency", "p50"), query("p99", "ModelLatency", "p99")],
  });
  const series = {};
  for (const r of answer.MetricDataResults || []) series[r.Id] = r.Timestamps.map((t, i) => [t, r.Values[i]]);
  return { start: end - WINDOW, end, ...series };
}

// A small inline sparkline of [time, value] points over [t0, t1]; missing minutes are
// zero for counts (`fill`) and gaps for latencies.
function sparkline(points, t0, t1, label, fill) {
  const byMinute = new Map((points || []).map(([t, v]) => [t, v]));
  const slots = [];
  for (let t = t0; t < t1; t += PERIOD) slots.push([t, byMinute.has(t) ? byMinute.get(t) : fill]);
  const w = 240, h = 40, pad = 3;
  const top = Math.max(1e-9, ...slots.map(([, v]) => v ?? 0));
  const x = (t) => pad + ((t - t0) / Math.max(1, t1 - PERIOD - t0)) * (w - 2 * pad);
  const y = (v) => h - pad - (v / top) * (h - 2 * pad);
  let d = "";
  let dots = "";
  let pen = false;
  for (const [t, v] of slots) {
    if (v === undefined || v === null) { pen = false; continue; }
    d += `${pen ? "L" : "M"}${x(t).toFixed(1)},${y(v).toFixed(1)} `;
    if (fill === null) dots += `<circle cx="${x(t).toFixed(1)}" cy="${y(v).toFixed(1)}" r="1.8" fill="#0073bb"/>`;
    pen = true;
  }
  return `<svg class="spark" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(label)}">
    <line x1="${pad}" x2="${w - pad}" y1="${h - pad}" y2="${h - pad}" stroke="#eaeded"/>
    <path d="${d.trim()}" fill="none" stroke="#0073bb" stroke-width="1.5"/>${dots}</svg>`;
}

function latest(points) {
  return points && points.length ? points[points.length - 1][1] : undefined;
}

function metricsBlock(m) {
  const ms = (us) => (us === undefined ? "—" : `${(us / 1000).toFixed(1)} ms`);
  // The current minute is still filling up: the rate shown is the last whole minute's.
  const last = (m.calls || []).find(([t]) => t === m.end - 2 * PERIOD);
  const total = (m.calls || []).reduce((sum, [, v]) => sum + v, 0);
  return `<dl class="kv metrics">
    <dt>Invocations / min</dt><dd data-invocations="${total}">${sparkline(m.calls, m.start, m.end, "invocations per minute", 0)}
      <span class="small">${last ? last[1] : 0}/min in the last whole minute, ${total} in 15 min</span></dd>
    <dt>Model latency p50</dt><dd>${sparkline(m.p50, m.start, m.end, "p50 model latency", null)} <span class="small">${ms(latest(m.p50))}</span></dd>
    <dt>Model latency p99</dt><dd>${sparkline(m.p99, m.start, m.end, "p99 model latency", null)} <span class="small">${ms(latest(m.p99))}</span></dd></dl>`;
}

async function endpointPanel(summary) {
  const endpoint = await sagemaker("DescribeEndpoint", { EndpointName: summary.EndpointName });
  const variants = endpoint.ProductionVariants || [];
  const sections = await Promise.all(variants.map(async (v) => {
    const resource = `endpoint/${endpoint.EndpointName}/variant/${v.VariantName}`;
    let activities = [];
    let note = "";
    try {
      activities = await all("autoscaling", "DescribeScalingActivities", { ServiceNamespace: "sagemaker", ResourceId: resource }, "ScalingActivities", "NextToken");
    } catch (err) {
      note = `Scaling activities unavailable: ${esc(err.message)}`;
    }
    const targets = await autoscaling("DescribeScalableTargets", { ServiceNamespace: "sagemaker", ResourceIds: [resource] }).catch(() => ({ ScalableTargets: [] }));
    const target = targets.ScalableTargets[0];
    let metrics;
    try {
      metrics = metricsBlock(await variantMetrics(endpoint.EndpointName, v.VariantName));
    } catch (err) {
      metrics = `<p class="muted">Metrics unavailable: ${esc(err.message)}</p>`;
    }
    return `<h2 style="margin-top:10px">Variant ${esc(v.VariantName)}</h2>
      <dl class="kv"><dt>Instances</dt><dd data-instances="${v.CurrentInstanceCount ?? ""}">${v.CurrentInstanceCount ?? "—"} running, ${v.DesiredInstanceCount ?? "—"} desired</dd>
      <dt>Autoscaling</dt><dd>${target ? `${target.MinCapacity}–${target.MaxCapacity} instances` : "not registered"}</dd></dl>
      ${metrics}
      ${countChart(v, activities)}${note ? `<p class="muted">${note}</p>` : ""}
      ${activities.length ? `<details><summary class="small">${activities.length} scaling activities</summary><table><thead><tr><th>Start</th><th>Status</th><th>Description</th><th>Cause</th></tr></thead><tbody>
        ${activities.map((a) => `<tr><td class="small">${when(a.StartTime)}</td><td>${badge(a.StatusCode)}</td><td>${esc(a.Description)}</td><td class="small">${esc(a.Cause)}</td></tr>`).join("")}</tbody></table></details>` : ""}`;
  }));
  return `<div class="panel" data-endpoint="${esc(endpoint.EndpointName)}">
    <div class="toolbar"><h2 style="margin:0 auto 0 0">${esc(endpoint.EndpointName)}</h2>${badge(endpoint.EndpointStatus)}</div>
    <dl class="kv"><dt>Config</dt><dd>${esc(endpoint.EndpointConfigName)}</dd><dt>Created</dt><dd>${when(endpoint.CreationTime)}</dd>
      <dt>Last modified</dt><dd>${when(endpoint.LastModifiedTime)}</dd>
      ${endpoint.FailureReason ? `<dt>Failure</dt><dd>${esc(endpoint.FailureReason)}</dd>` : ""}</dl>
    ${sections.join("")}</div>`;
}

export async function renderEndpoints(view) {
  view.innerHTML = `<div class="toolbar"><h1>Endpoints</h1></div><div id="endpoints"><p class="muted">Loading…</p></div>`;
  const refresh = async () => {
    let endpoints;
    try {
      endpoints = await all("sagemaker", "ListEndpoints", { MaxResults: 100 }, "Endpoints", "NextToken");
    } catch (err) {
      view.querySelector("#endpoints").innerHTML = `<p class="muted">Endpoints are not available: ${esc(err.message)}</p>`;
      return;
    }
    view.querySelector("#endpoints").innerHTML = endpoints.length
      ? (await Promise.all(endpoints.map(endpointPanel))).join("")
      : `<div class="panel"><p class="muted">No endpoints. A pipeline run that passes its quality gate creates one.</p></div>`;
  };
  return every(5000, refresh);
}
