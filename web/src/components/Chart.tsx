// One chart of the reports page, drawn by uPlot (a canvas) and loaded with that page only. A canvas says
// nothing to a screen reader: the figure has a name (its caption) and a description, the canvas is an
// image labelled by both, and the caller puts a table with the same numbers beside it (children).
import { createEffect, createUniqueId, For, type JSX, onCleanup, onMount } from "solid-js";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface ChartSeries {
  label: string;
  color: string;
  values: (number | null)[];
}

export interface ChartProps {
  title: string;
  description: string;
  /** The x axis: one label per point or bar. */
  labels: string[];
  kind: "bars" | "line";
  /**
   * Drawn in this order. For stacked bars, pass the running totals from the top of the stack down:
   * each bar starts at zero and the later ones cover the lower part of the earlier ones.
   */
  series: ChartSeries[];
  /** The legend, in reading order (the stack's from the bottom); defaults to the series. */
  legend?: { label: string; color: string }[];
  yMax?: number;
  /** Appended to the y axis' numbers ("%"). */
  ySuffix?: string;
  testId: string;
  /** The table with the same numbers. */
  children: JSX.Element;
}

const HEIGHT = 240;

export function Chart(props: ChartProps) {
  const id = createUniqueId();
  let box!: HTMLDivElement;
  let plot: uPlot | null = null;

  const build = () => {
    plot?.destroy();
    const n = props.labels.length;
    const labels = props.labels;
    const width = Math.max(240, box.clientWidth);
    const bars = props.kind === "bars";
    const opts: uPlot.Options = {
      width,
      height: HEIGHT,
      legend: { show: false },
      cursor: { show: false },
      select: { show: false, left: 0, top: 0, width: 0, height: 0 },
      scales: {
        x: { time: false, range: () => (bars ? [-0.5, n - 0.5] : [n > 1 ? 0 : -0.5, n > 1 ? n - 1 : 0.5]) },
        y: { range: (_u, _min, max) => [0, props.yMax ?? Math.max(1, Math.ceil(max * 1.1))] },
      },
      axes: [
        {
          stroke: "#2d3446",
          grid: { show: false },
          // One label every few bars when they would crowd each other (about 64 px a label).
          splits: () => {
            const step = Math.max(1, Math.ceil(n / Math.max(1, Math.floor(width / 64))));
            return Array.from({ length: n }, (_, i) => i).filter((i) => i % step === 0);
          },
          values: (_u, splits) => splits.map((i) => labels[i] ?? ""),
        },
        {
          stroke: "#2d3446",
          grid: { stroke: "#e3e7ee" },
          values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? `${v}${props.ySuffix ?? ""}` : "")),
        },
      ],
      series: [
        {},
        ...props.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          fill: bars ? s.color : undefined,
          width: bars ? 0 : 2,
          points: { show: !bars, size: 6, fill: s.color },
          paths: bars ? uPlot.paths.bars!({ size: [0.7, 60], align: 0 }) : undefined,
        })),
      ],
    };
    const data: uPlot.AlignedData = [Array.from({ length: n }, (_, i) => i), ...props.series.map((s) => s.values)];
    plot = new uPlot(opts, data, box);
    // uPlot's canvas is the image; the figure's caption and description are its name.
    const canvas = box.querySelector("canvas");
    canvas?.setAttribute("role", "img");
    canvas?.setAttribute("aria-labelledby", `${id}-title`);
    canvas?.setAttribute("aria-describedby", `${id}-desc`);
  };

  onMount(() => {
    createEffect(build);
    let lastWidth = box.clientWidth;
    const resize = new ResizeObserver(() => {
      if (!plot || Math.abs(box.clientWidth - lastWidth) < 8) return;
      lastWidth = box.clientWidth;
      plot.setSize({ width: Math.max(240, box.clientWidth), height: HEIGHT });
    });
    resize.observe(box);
    onCleanup(() => {
      resize.disconnect();
      plot?.destroy();
      plot = null;
    });
  });

  return (
    <figure class="chart" aria-labelledby={`${id}-title`} aria-describedby={`${id}-desc`} data-testid={props.testId}>
      <figcaption>
        <h3 id={`${id}-title`}>{props.title}</h3>
        <p id={`${id}-desc`} class="chart-desc">
          {props.description}
        </p>
      </figcaption>
      <ul class="chart-legend" aria-hidden="true">
        <For each={props.legend ?? props.series}>
          {(s) => (
            <li>
              <span class="swatch" style={{ background: s.color }} />
              {s.label}
            </li>
          )}
        </For>
      </ul>
      <div class="chart-canvas" ref={box} data-testid="chart-canvas" />
      {props.children}
    </figure>
  );
}
