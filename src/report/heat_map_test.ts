import assert from "node:assert/strict";
import { heatMap } from "./heat_map.ts";
import { parseLossSurface } from "./loss_surface.ts";
import { demoLossSurfaceCsv } from "../testing/records.ts";

Deno.test("heatMap: one cell per grid point, contours, colour bar, mark", () => {
  const s = parseLossSurface(demoLossSurfaceCsv(), "t");
  const svg = heatMap({
    title: "loss",
    xLabel: s.xLabel,
    yLabel: s.yLabel,
    xs: s.xs,
    ys: s.ys,
    values: s.values,
    mark: { x: 0, y: 0, label: "θ*" },
  });
  assert.equal((svg.match(/class="cell"/g) ?? []).length, 21 * 21);
  assert.match(svg, /class="contour" d="M/);
  assert.match(svg, /\(log\)/, "a loss spanning decades is coloured on a log scale");
  assert.match(svg, /<title>θ\*<\/title>/);
});

Deno.test("heatMap: NaN cells are grey; a wrong shape throws", () => {
  const svg = heatMap({
    title: "t",
    xLabel: "x",
    yLabel: "y",
    xs: [0, 1],
    ys: [0, 1],
    values: [[1, NaN], [2, 3]],
  });
  assert.match(svg, /fill="#bbb"/);
  assert.throws(
    () => heatMap({ title: "bad", xLabel: "", yLabel: "", xs: [0, 1], ys: [0], values: [[1]] }),
    /heat map "bad": values must be 1 rows × 2 columns/,
  );
});
