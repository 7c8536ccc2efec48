#include "zcrx/cli.hpp"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cstdio>
#include <limits>
#include <system_error>

namespace zcrx::cli {

namespace {

std::string quoted(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    out += '\'';
    out += s;
    out += '\'';
    return out;
}

std::string dashed(const Option &opt) {
    return "--" + std::string(opt.name);
}

// Leading decimal digits of text as a number; the rest is returned in rest.
// nullopt if there are no digits or the number does not fit in 64 bits.
std::optional<std::uint64_t> leading_number(std::string_view text, std::string_view &rest,
                                            bool &overflow) {
    std::uint64_t v = 0;
    const char *const end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, v, 10);
    overflow = ec == std::errc::result_out_of_range;
    if (ec != std::errc{})
        return std::nullopt;
    rest = std::string_view(ptr, static_cast<std::size_t>(end - ptr));
    return v;
}

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equals_nocase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](char x, char y) { return lower(x) == lower(y); });
}

[[noreturn]] void out_of_range(std::string_view what, std::string shown, std::string min,
                               std::string max) {
    throw UsageError(std::string(what) + ": " + shown + " is out of range: must be between " + min +
                     " and " + max);
}

std::string size_for_message(std::uint64_t v) {
    std::string s = format_size(v);
    if (s != std::to_string(v))
        s += " (" + std::to_string(v) + ")";
    return s;
}

} // namespace

Args Args::parse(std::span<const Option> options, std::span<const char *const> args) {
    Args out;
    out.options_ = options;
    bool options_done = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view arg = args[i] ? args[i] : "";
        if (options_done || arg.size() < 2 || arg[0] != '-') {
            out.positional_.push_back(arg);
            continue;
        }
        if (arg == "--") {
            options_done = true;
            continue;
        }
        const Option *opt = nullptr;
        std::optional<std::string_view> inline_value;
        if (arg[1] == '-') {
            std::string_view name = arg.substr(2);
            if (const std::size_t eq = name.find('='); eq != std::string_view::npos) {
                inline_value = name.substr(eq + 1);
                name = name.substr(0, eq);
            }
            opt = out.find(name);
        } else if (arg.size() == 2) {
            for (const Option &o : options)
                if (o.short_name != 0 && o.short_name == arg[1])
                    opt = &o;
        }
        if (!opt)
            throw UsageError("unknown option " +
                             quoted(inline_value ? arg.substr(0, arg.find('=')) : arg));
        if (!opt->takes_value()) {
            if (inline_value)
                throw UsageError("option " + dashed(*opt) + " takes no value");
            out.given_.emplace_back(opt->name, std::nullopt);
            continue;
        }
        if (!inline_value && opt->value_optional) {
            out.given_.emplace_back(opt->name, std::nullopt);
            continue;
        }
        if (!inline_value) {
            // "--file --json" is far more likely a forgotten value than a file
            // named "--json"; "--file=--json" still works.
            const bool next_is_value = i + 1 < args.size() && args[i + 1] &&
                                       std::string_view(args[i + 1]).rfind("--", 0) != 0;
            if (!next_is_value)
                throw UsageError("option " + dashed(*opt) + " needs a value (" +
                                 std::string(opt->metavar) + ")");
            inline_value = args[++i];
        }
        out.given_.emplace_back(opt->name, inline_value);
    }
    return out;
}

const Option *Args::find(std::string_view name) const noexcept {
    for (const Option &o : options_)
        if (o.name == name)
            return &o;
    return nullptr;
}

bool Args::has(std::string_view name) const noexcept {
    assert(find(name) && "option not declared");
    return std::any_of(given_.begin(), given_.end(),
                       [&](const auto &g) { return g.first == name; });
}

std::optional<std::string_view> Args::value(std::string_view name) const noexcept {
    assert(find(name) && find(name)->takes_value() && "not a declared option with a value");
    for (auto it = given_.rbegin(); it != given_.rend(); ++it)
        if (it->first == name)
            return it->second;
    return std::nullopt;
}

std::string_view Args::required(std::string_view name) const {
    if (const auto v = value(name))
        return *v;
    const Option *opt = find(name);
    throw UsageError("missing required option --" + std::string(name) + " " +
                     std::string(opt ? opt->metavar : ""));
}

void Args::expect_positional(std::size_t min, std::size_t max, std::string_view names) const {
    const std::size_t n = positional_.size();
    if (n < min)
        throw UsageError("missing argument" + std::string(min - n > 1 ? "s" : "") + ": expected " +
                         std::string(names));
    if (n > max)
        throw UsageError("unexpected argument " + quoted(positional_[max]) +
                         (max == 0 ? std::string() : ": expected " + std::string(names)));
}

std::uint64_t Args::size_or(std::string_view name, std::uint64_t fallback, std::uint64_t min,
                            std::uint64_t max) const {
    const auto v = value(name);
    return v ? parse_size(*v, "--" + std::string(name), min, max) : fallback;
}

std::uint64_t Args::count_or(std::string_view name, std::uint64_t fallback, std::uint64_t min,
                             std::uint64_t max) const {
    const auto v = value(name);
    return v ? parse_count(*v, "--" + std::string(name), min, max) : fallback;
}

std::optional<std::chrono::milliseconds> Args::seconds(std::string_view name,
                                                       std::chrono::milliseconds min,
                                                       std::chrono::milliseconds max) const {
    const std::optional<std::string_view> v = value(name);
    if (!v)
        return std::nullopt;
    return parse_seconds(*v, "--" + std::string(name), min, max);
}

std::uint64_t parse_size(std::string_view text, std::string_view what, std::uint64_t min,
                         std::uint64_t max) {
    const std::string syntax =
        " (expected a number of bytes with an optional K, M, G or T suffix; 1K = 1024)";
    std::string_view rest;
    bool overflow = false;
    const std::optional<std::uint64_t> number = leading_number(text, rest, overflow);
    if (!number) {
        if (overflow)
            throw UsageError(std::string(what) + ": " + quoted(text) + " is too large");
        throw UsageError(std::string(what) + ": " + quoted(text) + " is not a size" + syntax);
    }
    unsigned int shift = 0;
    if (!rest.empty()) {
        switch (lower(rest[0])) {
        case 'k':
            shift = 10;
            break;
        case 'm':
            shift = 20;
            break;
        case 'g':
            shift = 30;
            break;
        case 't':
            shift = 40;
            break;
        case 'b':
            break;
        default:
            throw UsageError(std::string(what) + ": " + quoted(text) + " is not a size" + syntax);
        }
        const std::string_view unit = rest.substr(1);
        const bool unit_ok =
            shift == 0 ? unit.empty()
                       : unit.empty() || equals_nocase(unit, "b") || equals_nocase(unit, "ib");
        if (!unit_ok)
            throw UsageError(std::string(what) + ": " + quoted(text) + " is not a size" + syntax);
    }
    if (*number > (std::numeric_limits<std::uint64_t>::max() >> shift))
        throw UsageError(std::string(what) + ": " + quoted(text) + " is too large");
    const std::uint64_t bytes = *number << shift;
    if (bytes < min || bytes > max)
        out_of_range(what, std::string(text), size_for_message(min), size_for_message(max));
    return bytes;
}

std::uint64_t parse_count(std::string_view text, std::string_view what, std::uint64_t min,
                          std::uint64_t max) {
    std::string_view rest;
    bool overflow = false;
    const std::optional<std::uint64_t> number = leading_number(text, rest, overflow);
    if (overflow && rest.empty())
        out_of_range(what, std::string(text), std::to_string(min), std::to_string(max));
    if (!number || !rest.empty())
        throw UsageError(std::string(what) + ": " + quoted(text) + " is not a number");
    if (*number < min || *number > max)
        out_of_range(what, std::string(text), std::to_string(min), std::to_string(max));
    return *number;
}

namespace {

std::string seconds_text(std::chrono::milliseconds ms) {
    std::string s = std::to_string(ms.count() / 1000);
    if (const auto frac = ms.count() % 1000; frac != 0) {
        std::string f = std::to_string(frac + 1000).substr(1); // three digits
        f.erase(f.find_last_not_of('0') + 1);
        s += "." + f;
    }
    return s + " s";
}

} // namespace

std::chrono::milliseconds parse_seconds(std::string_view text, std::string_view what,
                                        std::chrono::milliseconds min,
                                        std::chrono::milliseconds max) {
    const auto not_seconds = [&] {
        return UsageError(std::string(what) + ": " + quoted(text) +
                          " is not a number of seconds (such as 2 or 0.5)");
    };
    std::string_view rest;
    bool overflow = false;
    const std::optional<std::uint64_t> whole = leading_number(text, rest, overflow);
    const auto out = [&] {
        out_of_range(what, std::string(text), seconds_text(min), seconds_text(max));
    };
    if (overflow)
        out();
    if (!whole)
        throw not_seconds();
    std::uint64_t millis = 0;
    if (!rest.empty()) {
        if (rest.front() != '.' || rest.size() < 2 || rest.size() > 4)
            throw not_seconds();
        std::uint64_t scale = 100;
        for (const char c : rest.substr(1)) {
            if (c < '0' || c > '9')
                throw not_seconds();
            millis += static_cast<std::uint64_t>(c - '0') * scale;
            scale /= 10;
        }
    }
    const auto max_whole = static_cast<std::uint64_t>(max.count() / 1000) + 1;
    if (*whole > max_whole)
        out();
    const std::chrono::milliseconds d(static_cast<std::int64_t>(*whole * 1000 + millis));
    if (d < min || d > max)
        out();
    return d;
}

std::uint16_t parse_port(std::string_view text, std::string_view what) {
    std::string_view rest;
    bool overflow = false;
    const std::optional<std::uint64_t> number = leading_number(text, rest, overflow);
    if (!number || !rest.empty() || *number == 0 || *number > 65535)
        throw UsageError(std::string(what) + ": " + quoted(text) +
                         " is not a port number (1 to 65535)");
    return static_cast<std::uint16_t>(*number);
}

std::string format_size(std::uint64_t bytes) {
    static constexpr std::pair<unsigned int, char> units[] = {
        {40, 'T'}, {30, 'G'}, {20, 'M'}, {10, 'K'}};
    for (const auto &[shift, suffix] : units) {
        const std::uint64_t unit = std::uint64_t{1} << shift;
        if (bytes != 0 && bytes % unit == 0)
            return std::to_string(bytes / unit) + suffix;
    }
    return std::to_string(bytes);
}

std::string option_help(std::span<const Option> options) {
    std::vector<std::string> left;
    std::size_t width = 0;
    for (const Option &o : options) {
        std::string l = o.short_name ? std::string("-") + o.short_name + ", " : "    ";
        l += "--";
        l += o.name;
        if (o.takes_value() && o.value_optional) {
            l += "[=";
            l += o.metavar;
            l += ']';
        } else if (o.takes_value()) {
            l += ' ';
            l += o.metavar;
        }
        width = std::max(width, l.size());
        left.push_back(std::move(l));
    }
    width = std::min<std::size_t>(width, 28);
    std::string out;
    for (std::size_t i = 0; i < options.size(); ++i) {
        out += "  ";
        out += left[i];
        if (left[i].size() > width) {
            out += '\n';
            out.append(width + 2, ' ');
        } else {
            out.append(width - left[i].size(), ' ');
        }
        out += "  ";
        out += options[i].help;
        out += '\n';
    }
    return out;
}

int guard(std::string_view prog, int failure_status, const std::function<int()> &body) noexcept {
    const int n = static_cast<int>(prog.size());
    try {
        return body();
    } catch (const UsageError &e) {
        std::fprintf(stderr, "%.*s: %s\nTry '%.*s --help'.\n", n, prog.data(), e.what(), n,
                     prog.data());
        return exit_usage;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "%.*s: %s\n", n, prog.data(), e.what());
        return failure_status;
    }
}

int run_tool(std::string_view prog, std::span<const Option> options, int argc, char **argv,
             const std::function<std::string()> &help_text, int failure_status,
             const std::function<int(const Args &)> &body) noexcept {
    return guard(prog, failure_status, [&] {
        const Args args = Args::parse(
            options, std::span<const char *const>(argv + 1, static_cast<std::size_t>(argc - 1)));
        if (args.has("help")) {
            std::fputs(help_text().c_str(), stdout);
            return exit_ok;
        }
        return body(args);
    });
}

} // namespace zcrx::cli
