// A small line chart in plain SVG: a fixed box (so nothing around it moves
// when values change), one polyline per series over the last N points, and
// dashed horizontal lines for objectives (SLO thresholds, error budget).

const NS = 'http://www.w3.org/2000/svg';
const W = 600;
const H = 140;

function svg(tag, attrs = {}) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

export class line_chart {
  // fig: the <figure> to draw in; series: [{ name, color, dash }]; lines:
  // [{ name, color }] drawn dashed across; format: value → text; points: N.
  constructor(fig, { series, lines = [], format = String, points = 60, floor = 1 }) {
    this.series = series;
    this.lines = lines;
    this.format = format;
    this.points = points;
    this.floor = floor;
    this.root = svg('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img' });
    const grid = svg('g', { class: 'grid' });
    for (let i = 1; i < 4; i += 1) grid.append(svg('line', { x1: 0, x2: W, y1: (H * i) / 4, y2: (H * i) / 4, 'vector-effect': 'non-scaling-stroke' }));
    this.root.append(grid);
    this.line_els = lines.map((l) => {
      const el = svg('line', { x1: 0, x2: W, stroke: l.color, 'stroke-width': 1.5, 'stroke-dasharray': '6 4', 'vector-effect': 'non-scaling-stroke' });
      this.root.append(el);
      return el;
    });
    this.paths = series.map((s) => {
      const el = svg('polyline', { fill: 'none', stroke: s.color, 'stroke-width': 2, 'vector-effect': 'non-scaling-stroke' });
      if (s.dash) el.setAttribute('stroke-dasharray', s.dash);
      this.root.append(el);
      return el;
    });
    this.axis = document.createElement('div');
    this.axis.className = 'axis';
    this.top_label = document.createElement('span');
    const span = document.createElement('span');
    span.textContent = `${points} s ago → now`;
    this.axis.append(this.top_label, span);
    this.legend = document.createElement('div');
    this.legend.className = 'legend';
    this.legend_values = [...series, ...lines].map((s, i) => {
      const item = document.createElement('span');
      const swatch = document.createElement('i');
      swatch.style.borderTopColor = s.color;
      if (i >= series.length || s.dash) swatch.className = 'dash';
      const value = document.createElement('b');
      item.append(swatch, `${s.name} `, value);
      this.legend.append(item);
      return value;
    });
    fig.append(this.legend, this.root, this.axis);
  }

  // values: one array per series (oldest first, null = no data that second);
  // line_values: one number per objective line.
  update(values, line_values = []) {
    let max = this.floor;
    for (const v of values) for (const x of v) if (x !== null && x > max) max = x;
    for (const x of line_values) if (x !== null && x > max) max = x;
    max *= 1.1;
    const n = this.points;
    values.forEach((v, i) => {
      const pts = [];
      const offset = n - v.length;
      v.forEach((x, j) => {
        if (x === null) return;
        pts.push(`${(((offset + j) / (n - 1)) * W).toFixed(1)},${(H - (x / max) * H).toFixed(1)}`);
      });
      this.paths[i].setAttribute('points', pts.join(' '));
      const last = [...v].reverse().find((x) => x !== null);
      this.legend_values[i].textContent = last === undefined ? '–' : this.format(last);
    });
    line_values.forEach((x, i) => {
      const y = x === null ? -10 : H - (x / max) * H;
      this.line_els[i].setAttribute('y1', y);
      this.line_els[i].setAttribute('y2', y);
      this.legend_values[this.series.length + i].textContent = x === null ? '–' : this.format(x);
    });
    this.top_label.textContent = `max ${this.format(max)}`;
    this.root.setAttribute('aria-label', this.series.map((s, i) => `${s.name} ${this.legend_values[i].textContent}`).join(', '));
  }
}
