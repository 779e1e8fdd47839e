/*
 * app.js - the relayguard dashboard (index.html): customers ranked by
 * risk with sparklines, a page per customer with its plot, limits and
 * incidents, open incidents with their evidence and a release button,
 * the DNSBL entries with add and remove, and the live status of the
 * daemon.  Everything comes from the JSON API (man/relayguard-api.7);
 * changes send the API token typed into the header (kept in this tab's
 * sessionStorage only).  Text from the daemon is always set as text,
 * never as HTML: customer keys and evidence come from the network.
 */
(function () {
	"use strict";
	var API = "api/v1/";
	var main, timer = null;

	/* h(tag, attrs, children...) - an element; strings become text. */
	function h(tag, attrs) {
		var e = document.createElement(tag), i, c;
		Object.keys(attrs || {}).forEach(function (k) {
			if (k === "onclick" || k === "onsubmit" || k === "onchange" || k === "oninput")
				e.addEventListener(k.slice(2), attrs[k]);
			else if (attrs[k] !== null && attrs[k] !== undefined)
				e.setAttribute(k, attrs[k]);
		});
		for (i = 2; i < arguments.length; i++) {
			c = arguments[i];
			if (c === null || c === undefined) continue;
			if (Array.isArray(c)) c.forEach(function (x) { if (x) e.appendChild(typeof x === "string" ? document.createTextNode(x) : x); });
			else e.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
		}
		return e;
	}

	function token() { return document.getElementById("token").value.trim(); }

	function api(method, path, body) {
		var opts = { method: method, headers: { "Accept": "application/json" } };
		if (method !== "GET") {
			opts.headers["Authorization"] = "Bearer " + token();
			if (body !== undefined) {
				opts.headers["Content-Type"] = "application/json";
				opts.body = JSON.stringify(body);
			}
		}
		return fetch(API + path, opts).then(function (r) {
			return r.json().catch(function () { return {}; }).then(function (j) {
				if (!r.ok) throw new Error((j && j.error) || ("HTTP " + r.status));
				return j;
			});
		});
	}

	/* flash(msg, isError, detail) - a message above the page; detail (a
	 * list of lines) goes into a collapsed, scrollable block. */
	function flash(msg, isError, detail) {
		var f = document.getElementById("flash");
		f.textContent = msg;
		if (detail && detail.length)
			f.appendChild(h("details", {}, h("summary", {}, detail.length + " commands"),
			    h("pre", {}, detail.join("\n"))));
		f.className = "flash" + (isError ? " error" : "");
		f.hidden = false;
		f.setAttribute("data-kind", isError ? "error" : "ok");
	}

	function fmtTime(t) {
		if (!t) return "–";
		return new Date(t * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
	}

	function badge(state) { return h("span", { "class": "badge " + state }, state); }

	function custLink(id) {
		return h("a", { href: "#/customer/" + encodeURIComponent(id), "class": "customer-link" }, id);
	}

	/* ---------------------------------------------------------- status */

	function refreshStatus() {
		return api("GET", "status").then(function (s) {
			var st = document.getElementById("status");
			var c = s.config || {}, e = s.engine || {};
			st.textContent = "";
			st.appendChild(h("span", {}, "relayguardd " + s.version + " · up " +
			    Math.floor(s.uptime_s / 60) + " min · " + (s.listeners || []).join(", ") +
			    " · " + e.customers + " customers · " + e.incidents_open + " open incidents · reloads " +
			    c.reloads + (c.reload_failures ? " (" + c.reload_failures + " failed)" : "")));
			if (c.last_reload_error)
				st.appendChild(h("span", { "class": "bad" }, " · last reload failed: " + c.last_reload_error));
			st.setAttribute("data-ok", "1");
		}).catch(function (err) {
			var st = document.getElementById("status");
			st.textContent = "daemon unreachable: " + err.message;
			st.setAttribute("data-ok", "0");
		});
	}

	/* ---------------------------------------------------------- overview */

	/* The evidence as a short text: the test, its counts, the strongest signals. */
	function evidenceText(ev) {
		if (!ev || typeof ev !== "object") return "";
		var parts = [], sig = ev.signals || {};
		if (ev.llr !== undefined) parts.push("S=" + ev.llr + " of " + ev.threshold);
		if (ev.messages !== undefined) parts.push(ev.messages + " messages");
		if (ev.recipients !== undefined) parts.push(ev.recipients + " recipients");
		var top = Object.keys(sig).filter(function (k) { return sig[k] && sig[k].llr > 0; })
		    .sort(function (a, b) { return sig[b].llr - sig[a].llr; }).slice(0, 4)
		    .map(function (k) { return k + " " + sig[k].llr + " (" + sig[k].count + ")"; });
		if (top.length) parts.push("signals: " + top.join(", "));
		if (ev.sample_recipients && ev.sample_recipients.length)
			parts.push("e.g. " + ev.sample_recipients.slice(0, 3).join(", "));
		if (!parts.length)
			Object.keys(ev).slice(0, 6).forEach(function (k) {
				var v = ev[k];
				parts.push(k + ": " + (typeof v === "object" ? JSON.stringify(v) : v));
			});
		return parts.join(" · ");
	}

	function releaseButton(inc, after) {
		return h("button", { "class": "danger release", "data-id": inc.id, onclick: function () {
			api("POST", "incidents/" + inc.id + "/release").then(function (r) {
				var n = (r.postsuper || []).length;
				flash("incident " + inc.id + " released" + (n ? "; free its " + n +
				    " held messages on the relay with these postsuper commands" :
				    "; no held message has a known queue ID"), false, r.postsuper);
				after();
			}).catch(function (err) { flash("release of incident " + inc.id + ": " + err.message, true); });
		} }, "Release");
	}

	function incidentsTable(list, after) {
		if (!list.length) return h("p", { "class": "muted" }, "No open incidents.");
		return h("table", { id: "incidents" },
		    h("thead", {}, h("tr", {}, h("th", {}, "#"), h("th", {}, "customer"), h("th", {}, "reason"),
		        h("th", {}, "opened"), h("th", { "class": "num" }, "held"), h("th", {}, "client addresses"),
		        h("th", {}, "evidence"), h("th", {}, ""))),
		    h("tbody", {}, list.map(function (i) {
			return h("tr", { "data-id": i.id }, h("td", {}, String(i.id)), h("td", {}, custLink(i.customer)),
			    h("td", {}, i.reason), h("td", {}, fmtTime(i.opened)), h("td", { "class": "num" }, String(i.held)),
			    h("td", { "class": "addrs" }, (i.client_addresses || []).join(", ")),
			    h("td", { "class": "evidence" }, evidenceText(i.evidence)),
			    h("td", {}, i.state === "open" ? releaseButton(i, after) : badge(i.state)));
		    })));
	}

	function customersTable(list) {
		return h("table", { id: "customers" },
		    h("thead", {}, h("tr", {}, h("th", {}, "customer"), h("th", {}, "state"),
		        h("th", { "class": "num" }, "score"), h("th", { "class": "num" }, "limit use"),
		        h("th", { "class": "num" }, "refused"), h("th", {}, "network"), h("th", {}, "last 24 h"),
		        h("th", {}, "last seen"))),
		    h("tbody", {}, list.map(function (c) {
			return h("tr", { "data-customer": c.customer }, h("td", {}, custLink(c.customer)),
			    h("td", {}, badge(c.state)), h("td", { "class": "num" }, c.score.toFixed(2)),
			    h("td", { "class": "num" }, Math.round(c.pressure * 100) + "%"),
			    h("td", { "class": "num" }, String(c.refused)), h("td", {}, c.network || "–"),
			    h("td", {}, RGPlot.spark(c.spark || [])), h("td", {}, fmtTime(c.last_seen)));
		    })));
	}

	function zonesSection(after) {
		var sec = h("section", { id: "zones" }, h("h2", {}, "DNSBL entries"));
		api("GET", "zones").then(function (z) {
			var editable = z.zones.filter(function (x) { return x.editable; });
			if (!editable.length) { sec.appendChild(h("p", { "class": "muted" }, "No zone has a detection dataset.")); return; }
			editable.forEach(function (zone) {
				var addr = h("input", { placeholder: "address or prefix", "class": "entry-address" });
				var ttl = h("input", { placeholder: "ttl (e.g. 7d)", size: 8, "class": "entry-ttl" });
				var form = h("form", { "class": "filters", onsubmit: function (ev) {
					ev.preventDefault();
					var body = { address: addr.value.trim() };
					if (ttl.value.trim()) body.ttl = ttl.value.trim();
					api("POST", "zones/" + encodeURIComponent(zone.zone) + "/entries", body).then(function (r) {
						flash("listed " + r.address + " in " + zone.zone);
						after();
					}).catch(function (err) { flash("list: " + err.message, true); });
				} }, h("strong", {}, zone.zone), addr, ttl, h("button", { type: "submit" }, "Add"));
				var tbody = h("tbody", {});
				sec.appendChild(form);
				sec.appendChild(h("table", { "class": "entries", "data-zone": zone.zone },
				    h("thead", {}, h("tr", {}, h("th", {}, "address"), h("th", {}, "listed"),
				        h("th", {}, "expires"), h("th", {}, "txt"), h("th", {}, ""))), tbody));
				api("GET", "zones/" + encodeURIComponent(zone.zone) + "/entries?limit=200").then(function (e) {
					e.entries.forEach(function (x) {
						tbody.appendChild(h("tr", {}, h("td", {}, x.address), h("td", {}, fmtTime(x.listed)),
						    h("td", {}, x.expires ? fmtTime(x.expires) : "never"), h("td", {}, x.txt || ""),
						    h("td", {}, h("button", { "class": "danger", onclick: function () {
							api("DELETE", "zones/" + encodeURIComponent(zone.zone) + "/entries?address=" +
							    encodeURIComponent(x.address)).then(function () {
								flash("unlisted " + x.address); after();
							}).catch(function (err) { flash("unlist: " + err.message, true); });
						    } }, "Remove"))));
					});
					if (!e.entries.length) tbody.appendChild(h("tr", {}, h("td", { colspan: 5, "class": "muted" }, "none")));
				});
			});
		});
		return sec;
	}

	function overview() {
		var q = h("input", { id: "q", placeholder: "search customers", value: sessionStorage.getItem("q") || "" });
		var state = h("select", { id: "state" }, ["", "incident", "limited", "watch", "ok"].map(function (s) {
			return h("option", { value: s }, s || "any state");
		}));
		state.value = sessionStorage.getItem("state") || "";
		var custBox = h("div", {}), incBox = h("div", {});
		function load() {
			sessionStorage.setItem("q", q.value);
			sessionStorage.setItem("state", state.value);
			var p = "customers?limit=100" + (q.value ? "&q=" + encodeURIComponent(q.value) : "") +
			    (state.value ? "&state=" + state.value : "");
			api("GET", p).then(function (r) {
				custBox.textContent = "";
				custBox.appendChild(h("p", { "class": "muted" }, r.total + " customers, highest risk first"));
				custBox.appendChild(customersTable(r.customers));
			}).catch(function (err) { custBox.textContent = err.message; });
			api("GET", "incidents?state=open").then(function (r) {
				incBox.textContent = "";
				incBox.appendChild(incidentsTable(r.incidents.slice().reverse(), function () { render(); }));
			});
		}
		q.addEventListener("input", load);
		state.addEventListener("change", load);
		main.textContent = "";
		main.appendChild(h("section", { id: "open-incidents" }, h("h2", {}, "Open incidents"), incBox));
		main.appendChild(h("section", {}, h("h2", {}, "Customers by risk"),
		    h("div", { "class": "filters" }, q, state), custBox));
		main.appendChild(zonesSection(function () { render(); }));
		load();
		return load;
	}

	/* ---------------------------------------------------------- customer */

	var COLORS = { messages: "#1f5fbf", recipients: "#7b1fa2", domains: "#00897b", bounces: "#c62828" };

	function customerPage(id) {
		var view = sessionStorage.getItem("view") || "hour";
		main.textContent = "";
		var sec = h("section", { id: "customer" }, h("h2", {}, "Customer ", h("span", { id: "customer-id" }, id)));
		main.appendChild(sec);
		function load() {
			api("GET", "customers/" + encodeURIComponent(id)).then(function (c) {
				sec.textContent = "";
				sec.appendChild(h("h2", {}, "Customer ", h("span", { id: "customer-id" }, c.customer), " ",
				    badge(c.state)));
				var holdBtn = c.held ?
				    h("button", { id: "unhold", onclick: function () {
					api("POST", "customers/" + encodeURIComponent(id) + "/unhold").then(function () {
						flash(id + " no longer held"); load();
					}).catch(function (err) { flash(err.message, true); });
				    } }, "Unhold") :
				    h("button", { id: "hold", "class": "danger", onclick: function () {
					api("POST", "customers/" + encodeURIComponent(id) + "/hold").then(function (r) {
						flash(id + " held: incident " + r.incident); load();
					}).catch(function (err) { flash(err.message, true); });
				    } }, "Hold all mail");
				sec.appendChild(h("p", {}, "score " + c.score.toFixed(2) + " · limit use " +
				    Math.round(c.pressure * 100) + "% · refused " + c.refused +
				    (c.detection ? " · detection S=" + c.detection.llr.toFixed(2) + " of " +
				        c.detection.threshold.toFixed(2) + " after " + c.detection.messages + " messages" : "") +
				    " · network " + (c.network || "–") + " · last seen " + fmtTime(c.last_seen) + " ", holdBtn));
				var s = c[view === "hour" ? "minutes" : view];
				if (view === "hour") {
					var cut = s.points - 60, o = { start: s.start + cut * s.step_s, step_s: s.step_s };
					["messages", "recipients", "domains", "bounces"].forEach(function (n) { o[n] = s[n].slice(cut); });
					s = o;
				}
				var names = ["messages", "recipients", "domains", "bounces"];
				var limits = [];
				(c.limits || []).forEach(function (l) {
					if (l.count !== "messages" && l.count !== "recipients" &&
					    l.count !== "distinct_recipient_domains") return;
					limits.push({ name: l.name + " (" + l.rate_count + "/" + l.rate_period_s + "s)",
					    value: l.rate_count * s.step_s / l.rate_period_s,
					    color: l.count === "messages" ? "#e08a00" : "#8e24aa" });
				});
				var marks = [];
				(c.incidents || []).forEach(function (i) {
					marks.push({ t: i.opened, label: "incident " + i.id, color: "#c62828" });
					if (i.released) marks.push({ t: i.released, label: "released", color: "#2e7d32" });
				});
				var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
				svg.setAttribute("class", "plot");
				svg.setAttribute("id", "plot");
				RGPlot.series(svg, { start: s.start, step: s.step_s, limits: limits, marks: marks,
				    series: names.map(function (n) { return { name: n, color: COLORS[n], values: s[n] }; }) });
				var toggle = h("select", { id: "view", onchange: function (ev) {
					sessionStorage.setItem("view", ev.target.value); view = ev.target.value; load();
				} }, h("option", { value: "hour" }, "per minute, last hour"),
				    h("option", { value: "minutes" }, "per minute, last 24 h"),
				    h("option", { value: "hours" }, "per hour, last 30 days"));
				toggle.value = view;
				sec.appendChild(h("div", { "class": "filters" }, toggle, h("span", { "class": "legend" },
				    names.map(function (n) {
					var i = h("i", {}); i.style.background = COLORS[n];
					return h("span", {}, i, n);
				    }), h("span", {}, "dashed: limits, vertical: incidents"))));
				sec.appendChild(svg);
				var grid = h("div", { "class": "grid" });
				grid.appendChild(h("div", {}, h("h2", {}, "Limits"), h("table", { id: "limits" },
				    h("thead", {}, h("tr", {}, h("th", {}, "limit"), h("th", {}, "counts"),
				        h("th", { "class": "num" }, "used"), h("th", { "class": "num" }, "rate"),
				        h("th", { "class": "num" }, "attempts"), h("th", { "class": "num" }, "refused"))),
				    h("tbody", {}, (c.limits || []).map(function (l) {
					return h("tr", {}, h("td", {}, l.name), h("td", {}, l.count), h("td", { "class": "num" }, String(l.used)),
					    h("td", { "class": "num" }, l.rate_count + "/" + l.rate_period_s + "s"),
					    h("td", { "class": "num" }, String(l.attempts)), h("td", { "class": "num" }, String(l.refused)));
				    })))));
				grid.appendChild(h("div", {}, h("h2", {}, "Client addresses"),
				    h("p", {}, (c.client_addresses || []).join(", ") || "–"),
				    c.recent_messages && c.recent_messages.length ?
				    h("div", {}, h("h2", {}, "Latest held messages"), h("table", { id: "recent" },
					h("thead", {}, h("tr", {}, h("th", {}, "queue ID"), h("th", {}, "held at"))),
					h("tbody", {}, c.recent_messages.slice(0, 8).map(function (m) {
						return h("tr", {}, h("td", {}, m.queue_id || m.instance || "–"),
						    h("td", {}, fmtTime(m.held_at)));
					})))) : null));
				sec.appendChild(grid);
				var incBox = h("div", {});
				sec.appendChild(h("h2", {}, "Incidents"));
				sec.appendChild(incBox);
				api("GET", "incidents?customer=" + encodeURIComponent(id)).then(function (r) {
					incBox.appendChild(incidentsTable(r.incidents.slice().reverse(), load));
				});
			}).catch(function (err) { sec.appendChild(h("p", {}, err.message)); });
		}
		load();
		return load;
	}

	/* ---------------------------------------------------------- router */

	var reload = null;
	function render() {
		var m = location.hash.match(/^#\/customer\/(.+)$/);
		reload = m ? customerPage(decodeURIComponent(m[1])) : overview();
	}

	document.addEventListener("DOMContentLoaded", function () {
		main = document.getElementById("main");
		var tok = document.getElementById("token");
		tok.value = sessionStorage.getItem("token") || "";
		tok.addEventListener("input", function () { sessionStorage.setItem("token", tok.value); });
		window.addEventListener("hashchange", render);
		render();
		refreshStatus();
		timer = setInterval(function () {
			refreshStatus();
			if (location.hash.indexOf("#/customer/") !== 0 && reload &&
			    !document.activeElement.matches("input, select")) reload();
		}, 5000);
	});
})();
