#include "xacbe/calendar/business_calendar.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "xacbe/file.hpp"

namespace xacbe::calendar {

using json = nlohmann::json;
using namespace std::chrono;

namespace {

constexpr int kMinYear = 1;
constexpr int kMaxYear = 9999;

constexpr std::array<std::string_view, 7> kWeekdayNames = {"sunday",   "monday", "tuesday", "wednesday",
                                                           "thursday", "friday", "saturday"};

// Parses `text` and refuses an object that names a key twice, which nlohmann::json would otherwise
// resolve silently by keeping the last value.
Result<json> parse_json(const std::string& text, const std::string& origin) {
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  auto on_event = [&](int /*depth*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        open_objects.emplace_back();
        break;
      case json::parse_event_t::object_end:
        open_objects.pop_back();
        break;
      case json::parse_event_t::key:
        if (!open_objects.back().insert(parsed.get<std::string>()).second && duplicate.empty()) {
          duplicate = parsed.get<std::string>();
        }
        break;
      default:
        break;
    }
    return true;
  };
  json root;
  try {
    root = json::parse(text, on_event);
  } catch (const json::exception& e) {
    return invalid_argument(origin + ": invalid JSON: " + e.what());
  }
  if (!duplicate.empty()) return invalid_argument(origin + ": duplicate key '" + duplicate + "'");
  if (!root.is_object()) return invalid_argument(origin + ": the top level must be an object");
  return root;
}

// Field access for one JSON object, with messages that name the file and the element
// ("conf/x.json: rules[2].month must be ...").
class Fields {
 public:
  Fields(const json& object, std::string origin, std::string path)
      : object_(object), origin_(std::move(origin)), path_(std::move(path)) {}

  Status only(std::initializer_list<std::string_view> allowed) const {
    for (auto it = object_.begin(); it != object_.end(); ++it) {
      if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end()) {
        return invalid_argument(origin_ + ": unknown key '" + dotted(it.key()) + "'");
      }
    }
    return Status::ok();
  }
  bool has(const std::string& key) const { return object_.contains(key); }
  std::string where(const std::string& key) const { return origin_ + ": '" + dotted(key) + "'"; }
  std::string where() const { return origin_ + ": " + path_; }

  Result<std::string> text(const std::string& key) const {
    auto it = object_.find(key);
    if (it == object_.end()) return invalid_argument(where(key) + " is required");
    if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
      return invalid_argument(where(key) + " must be a non-empty string");
    }
    return it->get<std::string>();
  }

  Result<int> integer(const std::string& key, int min, int max) const {
    auto it = object_.find(key);
    if (it == object_.end()) return invalid_argument(where(key) + " is required");
    // Unsigned JSON numbers above INT64_MAX must not wrap into the range.
    const bool integral = it->is_number_integer() &&
                          (!it->is_number_unsigned() || it->get<std::uint64_t>() <= static_cast<std::uint64_t>(max));
    if (!integral || it->get<std::int64_t>() < min || it->get<std::int64_t>() > max) {
      return invalid_argument(where(key) + " must be an integer in " + std::to_string(min) + ".." +
                              std::to_string(max));
    }
    return static_cast<int>(it->get<std::int64_t>());
  }

  Result<const json*> array(const std::string& key) const {
    auto it = object_.find(key);
    if (it == object_.end()) return invalid_argument(where(key) + " is required");
    if (!it->is_array()) return invalid_argument(where(key) + " must be a list");
    return &*it;
  }

 private:
  std::string dotted(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  const json& object_;
  std::string origin_;
  std::string path_;  // "rules[2]", "" at the top level
};

Result<weekday> parse_weekday(const std::string& name, const std::string& where) {
  for (unsigned i = 0; i < kWeekdayNames.size(); ++i) {
    if (kWeekdayNames[i] == name) return weekday{i};
  }
  return invalid_argument(where + " must be a weekday name in lower case English (\"monday\" .. \"sunday\"), not '" +
                          name + "'");
}

Result<const json*> object_at(const json& list, std::size_t i, const std::string& where) {
  if (!list[i].is_object()) return invalid_argument(where + " must be an object");
  return &list[i];
}

// One element of "rules" (docs/protocol/business-calendar.md).
Result<HolidayRule> parse_rule(const Fields& f) {
  XACBE_RETURN_IF_ERROR(f.only({"name", "month", "day", "weekday", "nth", "from_year", "until_year", "every_years"}));
  HolidayRule rule;
  XACBE_ASSIGN_OR_RETURN(rule.name, f.text("name"));
  XACBE_ASSIGN_OR_RETURN(int m, f.integer("month", 1, 12));
  rule.month = month{static_cast<unsigned>(m)};
  if (f.has("day") == (f.has("weekday") || f.has("nth"))) {
    return invalid_argument(f.where() + ": give either 'day' or both 'weekday' and 'nth'");
  }
  if (f.has("day")) {
    XACBE_ASSIGN_OR_RETURN(int d, f.integer("day", 1, 31));
    // A rule must give a date every year it applies, so 29 February is refused.
    if (!Date{year{2001}, rule.month, day{static_cast<unsigned>(d)}}.ok()) {
      return invalid_argument(f.where("day") + " must be a day that month " + std::to_string(m) +
                              " has in every year, not " + std::to_string(d));
    }
    rule.day_of_month = day{static_cast<unsigned>(d)};
  } else {
    XACBE_ASSIGN_OR_RETURN(std::string name, f.text("weekday"));
    XACBE_ASSIGN_OR_RETURN(weekday wd, parse_weekday(name, f.where("weekday")));
    // 1..4 only: every month has a first to fourth of each weekday, not always a fifth.
    XACBE_ASSIGN_OR_RETURN(int nth, f.integer("nth", 1, 4));
    rule.nth_weekday = wd[static_cast<unsigned>(nth)];
  }
  if (f.has("from_year")) {
    XACBE_ASSIGN_OR_RETURN(int y, f.integer("from_year", kMinYear, kMaxYear));
    rule.from_year = year{y};
  }
  if (f.has("until_year")) {
    XACBE_ASSIGN_OR_RETURN(int y, f.integer("until_year", kMinYear, kMaxYear));
    rule.until_year = year{y};
    if (rule.from_year && *rule.until_year < *rule.from_year) {
      return invalid_argument(f.where("until_year") + " must not be before 'from_year'");
    }
  }
  if (f.has("every_years")) {
    if (!rule.from_year) return invalid_argument(f.where("every_years") + " needs 'from_year' to count from");
    XACBE_ASSIGN_OR_RETURN(rule.every_years, f.integer("every_years", 1, 100));
  }
  return rule;
}

// One element of "dates".
Result<Holiday> parse_single_date(const Fields& f) {
  XACBE_RETURN_IF_ERROR(f.only({"date", "name"}));
  XACBE_ASSIGN_OR_RETURN(std::string text, f.text("date"));
  auto date = parse_date(text);
  if (!date) return invalid_argument(f.where("date") + ": " + date.status().message());
  XACBE_ASSIGN_OR_RETURN(std::string name, f.text("name"));
  return Holiday{*date, std::move(name)};
}

}  // namespace

Date local_date(TimePoint t) {
  return Date{sys_days{floor<days>(t.time_since_epoch() + kUtcOffset)}};
}

Result<Date> parse_date(std::string_view text) {
  auto refuse = [&] {
    return invalid_argument("invalid date '" + std::string(text) + "': expected an existing date as YYYY-MM-DD");
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return refuse();
  int fields[3] = {0, 0, 0};
  const std::pair<std::size_t, std::size_t> spans[3] = {{0, 4}, {5, 2}, {8, 2}};
  for (int f = 0; f < 3; ++f) {
    for (std::size_t i = spans[f].first; i < spans[f].first + spans[f].second; ++i) {
      if (text[i] < '0' || text[i] > '9') return refuse();
      fields[f] = fields[f] * 10 + (text[i] - '0');
    }
  }
  const Date date{year{fields[0]}, month{static_cast<unsigned>(fields[1])}, day{static_cast<unsigned>(fields[2])}};
  if (fields[0] < 1 || !date.ok()) return refuse();
  return date;
}

std::string format_date(Date date) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return buffer;
}

bool HolidayRule::applies_in(year y) const {
  if (from_year && y < *from_year) return false;
  if (until_year && y > *until_year) return false;
  return !from_year || (static_cast<int>(y) - static_cast<int>(*from_year)) % every_years == 0;
}

bool HolidayRule::matches(Date date) const {
  if (date.month() != month || !applies_in(date.year())) return false;
  if (day_of_month) return date.day() == *day_of_month;
  const auto index = (static_cast<unsigned>(date.day()) - 1) / 7 + 1;
  return weekday{sys_days{date}} == nth_weekday->weekday() && index == nth_weekday->index();
}

std::optional<Date> HolidayRule::in_year(year y) const {
  if (!applies_in(y)) return std::nullopt;
  if (day_of_month) return Date{y, month, *day_of_month};
  return Date{sys_days{year_month_weekday{y, month, *nth_weekday}}};
}

bool HolidayRule::same_definition(const HolidayRule& other) const {
  return month == other.month && day_of_month == other.day_of_month && nth_weekday == other.nth_weekday &&
         from_year == other.from_year && until_year == other.until_year && every_years == other.every_years;
}

Result<BusinessCalendar> BusinessCalendar::load(const std::string& path) {
  XACBE_ASSIGN_OR_RETURN(std::string text, read_file(path));
  return parse(text, path);
}

Result<BusinessCalendar> BusinessCalendar::parse(const std::string& json_text, const std::string& origin) {
  XACBE_ASSIGN_OR_RETURN(json root, parse_json(json_text, origin));
  const Fields top(root, origin, "");
  XACBE_RETURN_IF_ERROR(top.only({"time_zone", "rules", "dates"}));
  XACBE_ASSIGN_OR_RETURN(std::string zone, top.text("time_zone"));
  if (zone != kTimeZone) {
    return invalid_argument(origin + ": 'time_zone' must be \"" + std::string(kTimeZone) + "\" (the only zone " +
                            "supported, at UTC-05:00), not '" + zone + "'");
  }
  BusinessCalendar calendar;

  XACBE_ASSIGN_OR_RETURN(const json* rules, top.array("rules"));
  for (std::size_t i = 0; i < rules->size(); ++i) {
    const std::string path = "rules[" + std::to_string(i) + "]";
    const std::string where = std::string(origin).append(": ").append(path);
    XACBE_ASSIGN_OR_RETURN(const json* object, object_at(*rules, i, where));
    const Fields f(*object, origin, path);
    XACBE_ASSIGN_OR_RETURN(HolidayRule rule, parse_rule(f));
    for (const HolidayRule& earlier : calendar.rules_) {
      if (earlier.name == rule.name) return invalid_argument(where + ": duplicate rule name '" + rule.name + "'");
      if (earlier.same_definition(rule)) {
        return invalid_argument(where + ": '" + rule.name + "' repeats the rule '" + earlier.name + "'");
      }
    }
    calendar.rules_.push_back(std::move(rule));
  }

  XACBE_ASSIGN_OR_RETURN(const json* dates, top.array("dates"));
  for (std::size_t i = 0; i < dates->size(); ++i) {
    const std::string path = "dates[" + std::to_string(i) + "]";
    const std::string where = std::string(origin).append(": ").append(path);
    XACBE_ASSIGN_OR_RETURN(const json* object, object_at(*dates, i, where));
    const Fields f(*object, origin, path);
    XACBE_ASSIGN_OR_RETURN(Holiday holiday, parse_single_date(f));
    for (const Holiday& earlier : calendar.dates_) {
      if (earlier.date == holiday.date) {
        return invalid_argument(where + ": duplicate date " + format_date(holiday.date));
      }
    }
    for (const HolidayRule& rule : calendar.rules_) {
      if (rule.matches(holiday.date)) {
        return invalid_argument(where + ": " + format_date(holiday.date) + " is already a holiday by the rule '" +
                                rule.name + "'");
      }
    }
    calendar.dates_.push_back(std::move(holiday));
  }
  std::sort(calendar.dates_.begin(), calendar.dates_.end(),
            [](const Holiday& a, const Holiday& b) { return a.date < b.date; });
  return calendar;
}

bool BusinessCalendar::is_business_day(sys_days day) const {
  const weekday wd{day};
  if (wd == Saturday || wd == Sunday) return false;
  return find_holiday(Date{day}) == nullptr;
}

bool BusinessCalendar::is_business_day(Date date) const {
  assert(date.ok());
  return is_business_day(sys_days{date});
}

const std::string* BusinessCalendar::find_holiday(Date date) const {
  for (const HolidayRule& rule : rules_) {
    if (rule.matches(date)) return &rule.name;
  }
  auto it =
      std::lower_bound(dates_.begin(), dates_.end(), date, [](const Holiday& h, const Date& d) { return h.date < d; });
  return it != dates_.end() && it->date == date ? &it->name : nullptr;
}

std::optional<std::string> BusinessCalendar::holiday_name(Date date) const {
  assert(date.ok());
  const std::string* name = find_holiday(date);
  return name ? std::optional<std::string>(*name) : std::nullopt;
}

std::vector<Holiday> BusinessCalendar::holidays(year y) const {
  std::vector<Holiday> out;
  for (const HolidayRule& rule : rules_) {
    if (auto date = rule.in_year(y)) out.push_back({*date, rule.name});
  }
  for (const Holiday& h : dates_) {
    if (h.date.year() == y) out.push_back(h);
  }
  std::stable_sort(out.begin(), out.end(), [](const Holiday& a, const Holiday& b) { return a.date < b.date; });
  return out;
}

Date BusinessCalendar::next_business_day(Date date) const {
  return add_business_days(date, 1);
}

Date BusinessCalendar::add_business_days(Date date, int n) const {
  assert(date.ok());
  sys_days day{date};
  const days step{n >= 0 ? 1 : -1};
  for (long long left = std::llabs(static_cast<long long>(n)); left > 0;) {
    day += step;
    if (is_business_day(day)) --left;
  }
  return Date{day};
}

int BusinessCalendar::business_days_between(Date from, Date to) const {
  assert(from.ok() && to.ok());
  const bool forward = sys_days{from} <= sys_days{to};
  const sys_days first = forward ? sys_days{from} : sys_days{to};
  const sys_days last = forward ? sys_days{to} : sys_days{from};
  int count = 0;
  for (sys_days day = first + days{1}; day <= last; day += days{1}) {
    if (is_business_day(day)) ++count;
  }
  return forward ? count : -count;
}

}  // namespace xacbe::calendar
