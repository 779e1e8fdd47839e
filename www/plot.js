/*
 * plot.js - the dashboard's own SVG plots: a time-series plot with
 * several series, horizontal limit lines and vertical incident marks,
 * and sparklines.  No library: about 150 lines are leaner than any
 * charting package, and nothing leaves the page (works offline).
 *
 * RGPlot.series(svg, opts): opts = { start, step, series: [{name, color,
 *   values}], limits: [{name, value, color}], marks: [{t, label, color}] }
 *   start and t are seconds since the epoch, step seconds per point.
 * RGPlot.spark(values) -> an <svg> element.
 */
(function () {
	"use strict";
	var NS = "http://www.w3.org/2000/svg";

	function el(name, attrs, parent) {
		var e = document.createElementNS(NS, name);
		Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
		if (parent) parent.appendChild(e);
		return e;
	}

	/* A "nice" upper bound and tick step for max. */
	function niceMax(max) {
		if (max <= 0) return { max: 1, step: 0.25 };
		var p = Math.pow(10, Math.floor(Math.log10(max / 4)));
		var steps = [1, 2, 2.5, 5, 10], i;
		for (i = 0; i < steps.length; i++)
			if (steps[i] * p * 4 >= max) return { max: steps[i] * p * 4, step: steps[i] * p };
		return { max: 40 * p, step: 10 * p };
	}

	function fmtTime(t, step) {
		var d = new Date(t * 1000);
		var hh = String(d.getUTCHours()).padStart(2, "0");
		var mm = String(d.getUTCMinutes()).padStart(2, "0");
		if (step >= 3600) return (d.getUTCMonth() + 1) + "/" + d.getUTCDate();
		return hh + ":" + mm;
	}

	function series(svg, o) {
		while (svg.firstChild) svg.removeChild(svg.firstChild);
		var W = 900, H = 320, L = 48, R = 12, T = 12, B = 28;
		svg.setAttribute("viewBox", "0 0 " + W + " " + H);
		svg.setAttribute("preserveAspectRatio", "none");
		var n = o.series.length ? o.series[0].values.length : 0;
		var max = 0;
		o.series.forEach(function (s) { s.values.forEach(function (v) { if (v > max) max = v; }); });
		(o.limits || []).forEach(function (l) { if (l.value > max) max = l.value; });
		var nm = niceMax(max * 1.05);
		var x = function (i) { return L + (W - L - R) * (n <= 1 ? 0 : i / (n - 1)); };
		var y = function (v) { return T + (H - T - B) * (1 - v / nm.max); };
		var g = el("g", {}, svg);
		for (var v = 0; v <= nm.max + 1e-9; v += nm.step) {
			el("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#e6e9ef" }, g);
			el("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end" }, g).textContent =
			    v >= 1000 ? (v / 1000) + "k" : String(Math.round(v * 100) / 100);
		}
		var ticks = 8;
		for (var k = 0; k <= ticks && n > 1; k++) {
			var i = Math.round((n - 1) * k / ticks);
			el("text", { x: x(i), y: H - 8, "text-anchor": "middle" }, g).textContent =
			    fmtTime(o.start + i * o.step, o.step);
		}
		el("line", { x1: L, x2: L, y1: T, y2: H - B, stroke: "#98a2b3" }, g);
		el("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: "#98a2b3" }, g);
		(o.limits || []).forEach(function (l) {
			el("line", { x1: L, x2: W - R, y1: y(l.value), y2: y(l.value), stroke: l.color,
			    "stroke-dasharray": "6 4", "stroke-width": 1.5, "class": "limit" }, svg);
			el("text", { x: W - R - 4, y: y(l.value) - 4, "text-anchor": "end", fill: l.color },
			    svg).textContent = l.name;
		});
		o.series.forEach(function (s) {
			var d = s.values.map(function (v, i) {
				return (i ? "L" : "M") + x(i).toFixed(1) + " " + y(v).toFixed(1);
			}).join("");
			el("path", { d: d, fill: "none", stroke: s.color, "stroke-width": 1.6,
			    "class": "series", "data-name": s.name }, svg);
		});
		(o.marks || []).forEach(function (m) {
			/* point i covers [start + i step, start + (i + 1) step) */
			var i = Math.floor((m.t - o.start) / o.step);
			if (i < 0 || i > n - 1) return;
			el("line", { x1: x(i), x2: x(i), y1: T, y2: H - B, stroke: m.color,
			    "stroke-width": 2, "class": "mark" }, svg);
			el("text", { x: x(i) + 4, y: T + 12, fill: m.color }, svg).textContent = m.label;
		});
		return svg;
	}

	function spark(values) {
		var svg = el("svg", { "class": "spark", viewBox: "0 0 120 22", preserveAspectRatio: "none" });
		var max = Math.max.apply(null, values.concat([1]));
		var d = values.map(function (v, i) {
			return (i ? "L" : "M") + (values.length > 1 ? i * 120 / (values.length - 1) : 0).toFixed(1) +
			    " " + (20 - 18 * v / max).toFixed(1);
		}).join("");
		if (values.length) el("path", { d: d, fill: "none", stroke: "#1f5fbf", "stroke-width": 1.3 }, svg);
		return svg;
	}

	window.RGPlot = { series: series, spark: spark };
})();
