// The undo log's steps and the state file's format 3, JSON through
// nlohmann/json (Debian's nlohmann-json3-dev). The text formats 1 and 2 of
// earlier versions are read by undo_log_text.cpp.

#include "zcrx/undo_log.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <functional>
#include <initializer_list>
#include <limits>
#include <optional>
#include <set>
#include <type_traits>
#include <utility>
#include <vector>

#include "undo_log_internal.hpp"

namespace zcrx::ethtool {

namespace detail {

Error garbled_state(std::string_view where, std::string_view why) {
    return Error(EINVAL, "parse a zcrx-nic state file",
                 std::string(where) + ": " + std::string(why),
                 "it is not what zcrx-nic apply writes; remove it if nothing else wrote it, "
                 "and check the device by hand (zcrx-nic show)");
}

} // namespace detail

namespace {

using detail::garbled_state;
using detail::state_magic;
// Read into std::map objects (a lookup is a log, where ordered_json's is a
// scan: a file of many members would take quadratic time); written in
// order.
using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

// The steps' names, in both formats and in zcrx-nic show.
constexpr std::string_view set_channels_name = "set-channels";
constexpr std::string_view set_tcp_data_split_name = "set-tcp-data-split";
constexpr std::string_view set_rss_name = "set-rss";
constexpr std::string_view delete_rule_name = "delete-rule";

constexpr std::uint32_t u32_max = std::numeric_limits<std::uint32_t>::max();

// A JSON value for a message: short ones as they are, containers by kind.
std::string describe(const Json &v) {
    if (v.is_object())
        return "an object";
    if (v.is_array())
        return "an array";
    std::string s = v.dump(-1, ' ', false, Json::error_handler_t::replace);
    if (s.size() > 40)
        s = s.substr(0, 36) + "...";
    return s;
}

// nlohmann's "[json.exception.parse_error.101] parse error at line 2,
// column 9: syntax error while parsing ..." as "line 2, column 9" and what
// is wrong there.
Error syntax_error(std::string_view what) {
    constexpr std::string_view at = "parse error at ";
    const std::size_t where_at = what.find(at);
    const std::size_t why_at =
        where_at == std::string_view::npos ? std::string_view::npos : what.find(": ", where_at);
    if (why_at == std::string_view::npos)
        return garbled_state("its JSON", "not valid JSON (" + std::string(what) + ")");
    const std::size_t from = where_at + at.size();
    return garbled_state(what.substr(from, why_at - from),
                         "not valid JSON: " + std::string(what.substr(why_at + 2)));
}

// Fed by the parser's callback, finds what the parser does not say: a
// member given twice in one object, of which it would keep the last. The
// first one is kept, with its path ("steps[2].location").
class DuplicateFinder {
public:
    std::optional<std::string> where;

    bool operator()(Json::parse_event_t event, const Json &parsed) {
        using E = Json::parse_event_t;
        switch (event) {
        case E::object_start:
        case E::array_start:
            levels_.push_back(Level{event == E::array_start, 0, {}, {}});
            break;
        case E::object_end:
        case E::array_end:
            levels_.pop_back();
            element_done();
            break;
        case E::key:
            levels_.back().key = parsed.get<std::string>();
            if (!levels_.back().keys.insert(levels_.back().key).second && !where)
                where = path();
            break;
        case E::value:
            element_done();
            break;
        }
        return true;
    }

private:
    struct Level {
        bool array = false;
        std::size_t items = 0;      // an array's elements read so far
        std::string key;            // an object's member being read
        std::set<std::string> keys; // an object's members so far
    };
    std::vector<Level> levels_;

    void element_done() {
        if (!levels_.empty() && levels_.back().array)
            ++levels_.back().items;
    }
    [[nodiscard]] std::string path() const {
        std::string out;
        for (const Level &l : levels_) {
            if (l.array)
                out += '[' + std::to_string(l.items) + ']';
            else
                out += (out.empty() ? "" : ".") + l.key;
        }
        return out;
    }
};

// v as a whole number from min to max. nlohmann reads a number without a
// sign or fraction as unsigned: -0 is signed but 0 all the same, and 5.0
// or 5e0 are not what zcrx-nic writes.
std::optional<std::uint32_t> as_u32(const Json &v, std::uint32_t min, std::uint32_t max) {
    std::uint64_t n = 0;
    if (v.is_number_unsigned())
        n = v.get<std::uint64_t>();
    else if (v.is_number_integer() && v.get<std::int64_t>() == 0)
        n = 0;
    else
        return std::nullopt;
    if (n < min || n > max)
        return std::nullopt;
    return static_cast<std::uint32_t>(n);
}

// The members of one object of a state file (the file's or a step's),
// looked up by name. The first thing wrong is kept in `error`, with the
// path of the member; what a lookup returns after that does not matter.
class Fields {
public:
    std::optional<Error> error;

    // path: where the object is ("" for the file's, "steps[2]"); what: what
    // it is, for messages ("the state file", "the delete-rule step").
    Fields(const Json &object, std::string path, std::string what)
        : object_(object), path_(std::move(path)), what_(std::move(what)) {}

    // "port", "steps[2].port".
    [[nodiscard]] std::string where(std::string_view name) const {
        return path_.empty() ? std::string(name) : path_ + '.' + std::string(name);
    }

    // The object has no member but these.
    void only(std::initializer_list<std::string_view> names) {
        for (auto it = object_.begin(); it != object_.end(); ++it) {
            bool known = false;
            for (const std::string_view n : names)
                known = known || it.key() == n;
            if (known)
                continue;
            std::string list;
            for (const std::string_view n : names)
                list += (list.empty() ? "" : ", ") + std::string(n);
            fail(it.key(), "not a field of " + what_ + " (" + list + ")");
            return;
        }
    }

    // The member called name; nullptr if it is missing.
    [[nodiscard]] const Json *get(std::string_view name) {
        const auto it = object_.find(std::string(name));
        if (it == object_.end()) {
            fail(name, "missing from " + what_);
            return nullptr;
        }
        return &*it;
    }

    // The member called name as a number from min to max; `expect` says
    // what it takes, for the message.
    [[nodiscard]] std::uint32_t number(std::string_view name, std::uint32_t min, std::uint32_t max,
                                       std::string_view expect) {
        const Json *v = get(name);
        if (!v)
            return 0;
        const std::optional<std::uint32_t> n = as_u32(*v, min, max);
        if (!n)
            fail(name, "takes " + std::string(expect) + ", not " + describe(*v));
        return n.value_or(0);
    }

    void fail(std::string_view name, const std::string &why) {
        if (!error)
            error = garbled_state(where(name), why);
    }

private:
    const Json &object_;
    std::string path_;
    std::string what_;
};

// A step of a JSON state file, at path ("steps[2]").
Result<UndoStep> parse_json_step(const Json &j, const std::string &path) {
    if (!j.is_object())
        return garbled_state(path,
                             "takes a step, an object {\"step\": NAME, ...}, not " + describe(j));
    const auto name_at = j.find("step");
    if (name_at == j.end())
        return garbled_state(path + ".step", "missing: every step has a name");
    if (!name_at->is_string())
        return garbled_state(path + ".step", "takes a step's name (set-channels, "
                                             "set-tcp-data-split, set-rss or delete-rule), not " +
                                                 describe(*name_at));
    const std::string &name = name_at->get_ref<const std::string &>();
    Fields f(j, path, "the " + name + " step");
    if (name == set_channels_name) {
        f.only({"step", "combined"});
        const std::uint32_t n =
            f.number("combined", 1, u32_max, "a channel count (1 to 4294967295)");
        if (f.error)
            return *std::move(f.error);
        return UndoStep(SetChannels{n});
    }
    if (name == set_tcp_data_split_name) {
        f.only({"step", "value"});
        const Json *v = f.get("value");
        const std::optional<TcpDataSplit> split =
            v && v->is_string() ? detail::parse_split_word(v->get_ref<const std::string &>())
                                : std::nullopt;
        if (v && !split)
            f.fail("value", "takes \"on\", \"off\" or \"auto\", not " + describe(*v));
        if (f.error)
            return *std::move(f.error);
        return UndoStep(SetTcpDataSplit{*split});
    }
    if (name == set_rss_name) {
        f.only({"step", "indir"});
        const Json *indir = f.get("indir");
        if (f.error)
            return *std::move(f.error);
        SetRss rss;
        if (indir->is_string() && indir->get_ref<const std::string &>() == "default")
            return UndoStep(rss);
        if (!indir->is_array())
            return garbled_state(f.where("indir"),
                                 "takes \"default\" or the table's queue numbers, not " +
                                     describe(*indir));
        if (indir->empty())
            return garbled_state(f.where("indir"),
                                 "an empty table (the driver's default is \"default\")");
        rss.indir.reserve(indir->size());
        for (std::size_t i = 0; i < indir->size(); ++i) {
            const Json &q = (*indir)[i];
            const std::optional<std::uint32_t> n = as_u32(q, 0, u32_max);
            if (!n)
                return garbled_state(f.where("indir") + '[' + std::to_string(i) + ']',
                                     "takes a queue number (0 to 4294967295), not " + describe(q));
            rss.indir.push_back(*n);
        }
        return UndoStep(std::move(rss));
    }
    if (name == delete_rule_name) {
        f.only({"step", "location", "port"});
        const std::uint32_t loc =
            f.number("location", 0, u32_max, "a rule location (0 to 4294967295)");
        const std::uint32_t port = f.number("port", 1, 65535, "a port (1 to 65535)");
        if (f.error)
            return *std::move(f.error);
        return UndoStep(DeleteRule{loc, static_cast<std::uint16_t>(port)});
    }
    return garbled_state(path + ".step", "'" + name + "' is not a step zcrx-nic undo knows");
}

Result<UndoLog> parse_json_state(std::string_view text) {
    // nlohmann's parser reports where the syntax breaks, and a number
    // beyond a double, only by its exceptions; nothing else in here throws.
    DuplicateFinder twice;
    Json j;
    try {
        j = Json::parse(text, [&twice](int, Json::parse_event_t event, Json &parsed) {
            return twice(event, parsed);
        });
    } catch (const Json::exception &e) {
        return syntax_error(e.what());
    }
    if (twice.where)
        return garbled_state(*twice.where, "given twice: which one holds is anybody's guess");
    if (!j.is_object())
        return garbled_state("top level", "not a zcrx-nic state file, which is a JSON object");

    // The format first: a newer one may have other members.
    const auto version_at = j.find(std::string(state_magic));
    const std::string format = std::to_string(UndoLog::format);
    if (version_at == j.end())
        return garbled_state(state_magic, "missing: not a zcrx-nic state file");
    const std::optional<std::uint32_t> version = as_u32(*version_at, 0, u32_max);
    if (!version)
        return garbled_state(state_magic, "takes the format number (" + format + "), not " +
                                              describe(*version_at));
    if (*version > UndoLog::format)
        return garbled_state(state_magic, "format " + std::to_string(*version) +
                                              " is not one this zcrx-nic reads (1 to " + format +
                                              "): written by a newer zcrx-nic?");
    if (*version != UndoLog::format)
        return garbled_state(state_magic, "format " + std::to_string(*version) +
                                              " is not JSON (formats 1 and " +
                                              std::to_string(detail::last_text_format) +
                                              " are text; " + format + " is JSON)");

    UndoLog log;
    Fields f(j, "", "the state file");
    f.only({state_magic, "ifindex", "queue", "port", "steps"});
    log.ifindex = f.number("ifindex", 0, u32_max, "an interface index (0 to 4294967295)");
    log.queue = f.number("queue", 0, u32_max, "a queue number (0 to 4294967295)");
    log.port = static_cast<std::uint16_t>(f.number("port", 1, 65535, "a port (1 to 65535)"));
    const Json *steps = f.get("steps");
    if (f.error)
        return *std::move(f.error);
    if (!steps->is_array())
        return garbled_state("steps",
                             "takes an array of steps, first step first, not " + describe(*steps));
    log.steps.reserve(steps->size());
    for (std::size_t i = 0; i < steps->size(); ++i) {
        Result<UndoStep> step = parse_json_step((*steps)[i], "steps[" + std::to_string(i) + ']');
        if (!step)
            return std::move(step).error();
        log.steps.push_back(std::move(step).value());
    }
    return log;
}

// A step as format 3 writes it: {"step": NAME, then its fields}.
OrderedJson to_json(const UndoStep &step) {
    return std::visit(
        [](const auto &s) {
            using T = std::decay_t<decltype(s)>;
            OrderedJson j = OrderedJson::object();
            if constexpr (std::is_same_v<T, SetChannels>) {
                j["step"] = set_channels_name;
                j["combined"] = s.combined;
            } else if constexpr (std::is_same_v<T, SetTcpDataSplit>) {
                j["step"] = set_tcp_data_split_name;
                j["value"] = detail::split_word(s.value);
            } else if constexpr (std::is_same_v<T, SetRss>) {
                j["step"] = set_rss_name;
                j["indir"] = s.indir.empty() ? OrderedJson("default") : OrderedJson(s.indir);
            } else {
                static_assert(std::is_same_v<T, DeleteRule>);
                j["step"] = delete_rule_name;
                j["location"] = s.location;
                j["port"] = s.port;
            }
            return j;
        },
        step);
}

} // namespace

SetRss restore_rss(std::vector<std::uint32_t> table, std::uint32_t rings) {
    if (table == equal_indir(static_cast<std::uint32_t>(table.size()), rings))
        return {};
    return {std::move(table)};
}

std::string to_text(const UndoStep &step) {
    return std::visit(
        [](const auto &s) -> std::string {
            using T = std::decay_t<decltype(s)>;
            if constexpr (std::is_same_v<T, SetChannels>) {
                return std::string(set_channels_name) + ' ' + std::to_string(s.combined);
            } else if constexpr (std::is_same_v<T, SetTcpDataSplit>) {
                return std::string(set_tcp_data_split_name) + ' ' +
                       std::string(detail::split_word(s.value));
            } else if constexpr (std::is_same_v<T, SetRss>) {
                std::string out(set_rss_name);
                if (s.indir.empty())
                    return out + " default";
                for (const std::uint32_t q : s.indir)
                    out += ' ' + std::to_string(q);
                return out;
            } else {
                static_assert(std::is_same_v<T, DeleteRule>);
                return std::string(delete_rule_name) + ' ' + std::to_string(s.location) + ' ' +
                       std::to_string(s.port);
            }
        },
        step);
}

std::string UndoLog::to_json_text() const {
    OrderedJson j = OrderedJson::object();
    j[std::string(state_magic)] = format;
    j["ifindex"] = ifindex;
    j["queue"] = queue;
    j["port"] = port;
    OrderedJson list = OrderedJson::array();
    for (const UndoStep &step : steps)
        list.push_back(to_json(step));
    j["steps"] = std::move(list);
    return j.dump(2) + '\n';
}

Result<UndoLog> UndoLog::parse(std::string_view text) {
    const std::size_t start = text.find_first_not_of(" \t\r\n");
    if (start != std::string_view::npos && text[start] == '{')
        return parse_json_state(text);
    return detail::parse_text_state(text);
}

std::vector<UndoStep>
UndoLog::run_backwards(const std::function<bool(const UndoStep &)> &undo) const {
    std::vector<UndoStep> left;
    for (auto it = steps.rbegin(); it != steps.rend(); ++it)
        if (!undo(*it))
            left.insert(left.begin(), *it);
    return left;
}

} // namespace zcrx::ethtool
