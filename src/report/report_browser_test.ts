/**
 * Opens report.html in headless Chromium (Debian's `/usr/bin/chromium`, driven by
 * playwright-core; no browser is ever downloaded) and checks what a reader sees: no console
 * errors, no network request, every plot drawn with data points, sortable tables. A screenshot is
 * saved to a temporary folder and its path printed. Skipped, with a message, when no Chromium
 * binary exists or the test lacks permission to run it.
 *
 * @module
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import { writeReport } from "./report.ts";
import { DEMO_REFERENCE, writeDemoFolder } from "../testing/records.ts";

const CHROMIUM = "/usr/bin/chromium";
const present = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();
const allowed = present &&
  Deno.permissions.querySync({ name: "run", command: CHROMIUM }).state === "granted";
if (!present) {
  console.warn(
    `report browser test skipped: no Chromium at ${CHROMIUM} (install it with "apt-get install -y chromium")`,
  );
} else if (!allowed) {
  console.warn(`report browser test skipped: no permission to run ${CHROMIUM} (--allow-run)`);
}

// playwright-core probes /proc/sys/fs/binfmt_misc/WSLInterop with fs.existsSync at load time;
// Deno refuses that path without --allow-all (NotCapable) where Node would return false.
function tolerateProcProbes(): void {
  const original = fs.existsSync;
  fs.existsSync = ((p: fs.PathLike) => {
    try {
      return original(p);
    } catch (e) {
      if ((e as Error).name === "NotCapable") return false;
      throw e;
    }
  }) as typeof fs.existsSync;
}

Deno.test({
  name: "report.html in headless Chromium: no console errors, every plot drawn, screenshot",
  ignore: !allowed,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    tolerateProcProbes();
    const { chromium } = await import("npm:playwright-core@1.65.1");
    const dir = await Deno.makeTempDir({ prefix: "remul-report-browser-" });
    await writeDemoFolder(dir);
    const path = await writeReport(dir, { title: "demo report", reference: DEMO_REFERENCE });
    const profile = await Deno.makeTempDir({ prefix: "remul-chromium-profile-" });
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
      viewport: { width: 1400, height: 900 },
    });
    try {
      const problems: string[] = [];
      const requests: string[] = [];
      await context.route("**/*", (route) => {
        const url = route.request().url();
        if (url.startsWith("file://")) return route.continue();
        requests.push(url);
        return route.abort();
      });
      const page = await context.newPage();
      page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") {
          problems.push(`${m.type()}: ${m.text()}`);
        }
      });
      page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
      await page.goto(`file://${path}`);
      await page.waitForLoadState("load");

      const plots = await page.$$eval("svg.plot", (svgs) =>
        svgs.map((s) => ({
          label: s.getAttribute("aria-label") ?? "",
          section: s.closest("section")?.id ?? "",
          points: s.querySelectorAll(".pt, .cell").length,
          width: s.getBoundingClientRect().width,
        })));
      const bySection = (id: string) => plots.filter((p) => p.section === id);
      assert.ok(bySection("beta").length >= 4, `β plots: ${JSON.stringify(plots)}`);
      assert.ok(bySection("cost").length >= 2, "time-vs-batch plots");
      assert.equal(bySection("loss-surface").length, 2, "two loss surfaces");
      assert.ok(bySection("group-samples").length >= 2, "group-sample plots");
      for (const p of plots) {
        assert.ok(p.points > 0, `plot "${p.label}" in #${p.section} has no data points`);
        assert.ok(p.width > 100, `plot "${p.label}" is not laid out`);
      }
      const legends = await page.locator("svg.legend").count();
      assert.ok(legends >= 3, "each figure has a legend");
      assert.ok((await page.locator("table.results tbody tr").count()) > 40);
      assert.equal(await page.locator("table.reference tbody tr").count(), 2);
      assert.match(await page.locator("#environments").innerText(), /wasm/);

      // sorting by a numeric column puts its smallest value first
      const col = await page.$$eval(
        "table.results thead th",
        (ths) => ths.findIndex((th) => th.textContent?.startsWith("mse_test")),
      );
      await page.locator("table.results thead th").nth(col).click();
      const first = await page.$eval(
        "table.results tbody tr",
        (tr, i) => Number(tr.children[i as number].getAttribute("data-v")),
        col,
      );
      const all = await page.$$eval(
        "table.results tbody tr",
        (trs, i) =>
          trs.map((tr) => Number(tr.children[i as number].getAttribute("data-v")))
            .filter((v) => !Number.isNaN(v)),
        col,
      );
      assert.equal(first, Math.min(...all));

      assert.deepEqual(problems, [], "console errors");
      assert.deepEqual(requests, [], "network requests");
      const shot = `${dir}/report.png`;
      await page.screenshot({ path: shot, fullPage: true });
      assert.ok(Deno.statSync(shot).size > 10_000);
      console.log(`report screenshot: ${shot}`);
    } finally {
      await context.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    }
  },
});
