#include "admin/metrics_route.hpp"

#include <algorithm>

namespace xacbe::ss {
namespace {

using metrics::MetricType;
using metrics::TextWriter;

void gauge(TextWriter& out, const char* name, const char* help, double value) {
  out.family(name, MetricType::kGauge, help);
  out.sample({}, value);
}

void counter(TextWriter& out, const char* name, const char* help, double value) {
  out.family(name, MetricType::kCounter, help);
  out.sample({}, value);
}

double seconds(std::chrono::seconds s) { return static_cast<double>(s.count()); }

void write_configuration(TextWriter& out, const GlobalConfigurationStatus& g, std::chrono::sys_seconds now) {
  gauge(out, "xacbe_global_configuration_in_use", "1 while a valid global configuration is in use, else 0.",
        g.version ? 1 : 0);
  if (!g.version) return;
  gauge(out, "xacbe_global_configuration_version", "Version of the global configuration in use.",
        static_cast<double>(*g.version));
  gauge(out, "xacbe_global_configuration_age_seconds", "Seconds since the configuration in use was created.",
        seconds(now - g.created_at));
  gauge(out, "xacbe_global_configuration_expiry_seconds", "Seconds until the configuration in use expires.",
        seconds(g.expires_at - now));
}

void write_ocsp(TextWriter& out, const std::optional<std::vector<crypto::OcspCacheEntryState>>& ocsp) {
  const std::vector<crypto::OcspCacheEntryState> entries = ocsp.value_or(std::vector<crypto::OcspCacheEntryState>{});
  const bool up = ocsp && !entries.empty() &&
                  std::all_of(entries.begin(), entries.end(), [](const auto& e) { return e.last_error.is_ok(); });
  gauge(out, "xacbe_ocsp_up",
        "1 when the last OCSP fetch of every own certificate succeeded, 0 when one failed or no configuration names the responders.",
        up ? 1 : 0);
  out.family("xacbe_ocsp_response_age_seconds", MetricType::kGauge,
             "Age (now - producedAt) of the OCSP response held for an own certificate, by serial.");
  for (const auto& e : entries) {
    if (e.response_age) out.sample({{"serial", e.serial_hex}}, seconds(*e.response_age));
  }
  out.family("xacbe_ocsp_response_fresh", MetricType::kGauge,
             "1 when the OCSP response held for an own certificate may be handed out now, by serial.");
  for (const auto& e : entries) out.sample({{"serial", e.serial_hex}}, e.fresh ? 1 : 0);
}

// The TSA and the query register, with the eight-hour rule as GET /api/v1/status shows it.
void write_register(TextWriter& out, const ServerStatus& s, std::chrono::sys_seconds now) {
  const RegisterStats& r = s.register_stats;
  gauge(out, "xacbe_tsa_up",
        "1 when a TSA is configured and the last timestamping attempt succeeded, else 0.",
        !s.tsa_url.empty() && r.last_timestamp_error.empty() ? 1 : 0);
  if (r.last_timestamp_at) {
    gauge(out, "xacbe_tsa_last_timestamp_age_seconds", "Seconds since the last timestamp batch was stored.",
          seconds(now - to_sys_seconds(*r.last_timestamp_at)));
  }
  gauge(out, "xacbe_register_records", "Records in the query register (-1: the file could not be read).",
        static_cast<double>(r.records));
  gauge(out, "xacbe_register_untimestamped_records",
        "Records waiting for a timestamp: the backlog (-1: the file could not be read).",
        static_cast<double>(r.untimestamped));
  gauge(out, "xacbe_register_deadlines_missed", "Records timestamped after their eight-hour deadline.",
        static_cast<double>(r.deadlines_missed));
  counter(out, "xacbe_register_commits_total", "Write transactions of the query register since start.",
          static_cast<double>(r.commits));
  counter(out, "xacbe_register_appends_refused_total", "Records refused since start because the queue was full.",
          static_cast<double>(r.appends_refused));
  counter(out, "xacbe_register_decisions_dropped_total",
          "Authentication/authorization decisions dropped since start.", static_cast<double>(r.decisions_dropped));
  const EightHourState rule = eight_hour_state(r, s.admission_margin, now);
  gauge(out, "xacbe_register_oldest_untimestamped_age_seconds",
        "How far the oldest untimestamped record is into its eight-hour window, in seconds (0: no backlog).",
        rule.to_deadline && s.global_configuration.version
            ? seconds(s.global_configuration.estamp_window - *rule.to_deadline)
            : 0);
  gauge(out, "xacbe_register_admitting", "1 while the eight-hour rule admits new exchanges, else 0.",
        rule.admitting ? 1 : 0);
  if (rule.to_deadline) {
    gauge(out, "xacbe_register_seconds_to_deadline",
          "Seconds until the oldest untimestamped record's deadline; absent without a backlog.",
          seconds(*rule.to_deadline));
    gauge(out, "xacbe_register_seconds_left_before_refusal",
          "Seconds until the eight-hour rule stops new exchanges (deadline minus admission margin); absent without a backlog.",
          seconds(*rule.left_before_refusal));
  }
}

}  // namespace

void write_status_metrics(TextWriter& out, const ServerStatus& status, TimePoint now_point) {
  const auto now = to_sys_seconds(now_point);
  write_configuration(out, status.global_configuration, now);
  write_ocsp(out, status.ocsp);
  write_register(out, status, now);
}

void add_metrics_route(api::AdminApi& api, const AdminSources& sources, const Clock& clock) {
  api.add({"GET", "/metrics", false, [&sources, &clock](const api::ApiCall&) {
             TextWriter out;
             write_status_metrics(out, sources.status(), clock.now());
             if (sources.exchange_metrics) sources.exchange_metrics(out);
             return net::HttpResponse::make(200, std::string(metrics::kContentType), out.text());
           }});
}

}  // namespace xacbe::ss
