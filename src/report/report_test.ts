import assert from "node:assert/strict";
import { renderReport, writeReport } from "./report.ts";
import { DEMO_REFERENCE, makeRecord, nbodyMetrics, writeDemoFolder } from "../testing/records.ts";

Deno.test("writeReport: every view drawn from a demo folder; a bad CSV becomes a note", async () => {
  const dir = await Deno.makeTempDir({ prefix: "remul-report-" });
  await writeDemoFolder(dir);
  const path = await writeReport(dir, { title: "demo", reference: DEMO_REFERENCE });
  assert.equal(path, `${dir}/report.html`);
  const html = await Deno.readTextFile(path);
  for (const id of ["beta", "cost", "loss-surface", "group-samples", "reference", "results"]) {
    const section = html.split(`<section id="${id}">`)[1]?.split("</section>")[0] ?? "";
    assert.ok(section.length > 0, id);
    assert.ok(!section.includes("view omitted"), `${id} has data`);
  }
  assert.match(html, /Loss surface: gatr/);
  assert.match(html, /loss_surface_broken\.csv: not shown: loss surface &quot;broken&quot;/);
  assert.match(html, /synthetic test reference/);
  assert.match(html, /out of memory at batch 2048/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("renderReport is self-contained: nothing is loaded from elsewhere", () => {
  const html = renderReport({ records: [makeRecord({ metrics: nbodyMetrics(0) })] });
  assert.ok(!/\b(src|href)="(https?:)?\/\//.test(html), "no external src/href");
  assert.ok(!/<link\b/.test(html) && !/@import/.test(html) && !/url\(/.test(html));
  assert.ok(!/<script\s+src=/.test(html));
});

Deno.test("renderReport: views without data are omitted with a one-line note", () => {
  const html = renderReport({ records: [makeRecord({ metrics: nbodyMetrics(0) })] });
  assert.equal((html.match(/class="omitted"/g) ?? []).length, 5);
  assert.match(html, /Error against β: no completed case with a positive <code>beta<\/code>/);
  assert.match(html, /Loss surfaces: no <code>loss_surface_\*\.csv<\/code> file/);
  assert.match(html, /Paper reference: the suite defines no reference numbers/);
  assert.match(html, /backend wasm \(--backend auto; auto: no WebGPU adapter\)/);
});
