#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "zcrx/undo_log.hpp"

// The state file's JSON stays inside libzcrx-nic: nlohmann is
// in no public header.
#ifdef INCLUDE_NLOHMANN_JSON_HPP_
#error "zcrx/undo_log.hpp includes nlohmann/json"
#endif

namespace et = zcrx::ethtool;

namespace {

// What apply logs on a device with one channel: two channels, split on
// from off, RSS off queue 1 (from a custom table), a rule each for v4 and v6.
et::UndoLog sample_log() {
    et::UndoLog log;
    log.ifindex = 4;
    log.queue = 1;
    log.port = 9999;
    log.steps = {
        et::SetChannels{1},
        et::SetTcpDataSplit{et::TcpDataSplit::disabled},
        et::SetRss{{0, 0, 1, 0, 0, 1, 0, 0}},
        et::SetRss{},
        et::DeleteRule{31, 9999},
        et::DeleteRule{30, 9999},
    };
    return log;
}

// sample_log() as format 3 writes it.
constexpr std::string_view sample_json = R"({
  "zcrx-nic-state": 3,
  "ifindex": 4,
  "queue": 1,
  "port": 9999,
  "steps": [
    {
      "step": "set-channels",
      "combined": 1
    },
    {
      "step": "set-tcp-data-split",
      "value": "off"
    },
    {
      "step": "set-rss",
      "indir": [
        0,
        0,
        1,
        0,
        0,
        1,
        0,
        0
      ]
    },
    {
      "step": "set-rss",
      "indir": "default"
    },
    {
      "step": "delete-rule",
      "location": 31,
      "port": 9999
    },
    {
      "step": "delete-rule",
      "location": 30,
      "port": 9999
    }
  ]
}
)";

// sample_log() as format 2 (zcrx-nic before the JSON state file) wrote it.
constexpr std::string_view sample_format2 =
    "zcrx-nic-state 2\n"
    "# zcrx-nic apply's changes to one device: each line after \"port\" undoes one,\n"
    "# and zcrx-nic undo runs them from the last line up\n"
    "ifindex 4\nqueue 1\nport 9999\n"
    "set-channels 1\n"
    "set-tcp-data-split off\n"
    "set-rss 0 0 1 0 0 1 0 0\n"
    "set-rss default\n"
    "delete-rule 31 9999\n"
    "delete-rule 30 9999\n";

// sample_json cut off in the middle of the second step.
std::string sample_json_truncated() {
    const std::string_view full = sample_json;
    return std::string(full.substr(0, full.find("\"value\"")));
}

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

} // namespace

TEST_CASE("undo log survives a round trip through its JSON form", "[undo-log]") {
    const et::UndoLog log = sample_log();
    const std::string text = log.to_json_text();
    // The format is pinned: a state file outlives the zcrx-nic that wrote it.
    CHECK(text == sample_json);
    const zcrx::Result<et::UndoLog> back = et::UndoLog::parse(text);
    REQUIRE(back);
    CHECK(*back == log);

    et::UndoLog empty;
    empty.ifindex = 1;
    empty.port = 1;
    CHECK(empty.to_json_text() ==
          "{\n  \"zcrx-nic-state\": 3,\n  \"ifindex\": 1,\n  \"queue\": 0,\n"
          "  \"port\": 1,\n  \"steps\": []\n}\n");
    const zcrx::Result<et::UndoLog> empty_back = et::UndoLog::parse(empty.to_json_text());
    REQUIRE(empty_back);
    CHECK(*empty_back == empty);
    CHECK(empty_back->steps.empty());

    for (const et::TcpDataSplit v :
         {et::TcpDataSplit::unknown, et::TcpDataSplit::disabled, et::TcpDataSplit::enabled}) {
        et::UndoLog one = empty;
        one.steps = {et::SetTcpDataSplit{v}};
        const zcrx::Result<et::UndoLog> r = et::UndoLog::parse(one.to_json_text());
        REQUIRE(r);
        CHECK(*r == one);
    }

    // Every field at the ends of its range.
    et::UndoLog edges;
    edges.ifindex = 4294967295U;
    edges.queue = 4294967295U;
    edges.port = 65535;
    edges.steps = {et::SetChannels{4294967295U}, et::SetRss{{4294967295U, 0}}, et::DeleteRule{0, 1},
                   et::DeleteRule{4294967295U, 65535}};
    const zcrx::Result<et::UndoLog> edges_back = et::UndoLog::parse(edges.to_json_text());
    REQUIRE(edges_back);
    CHECK(*edges_back == edges);
}

TEST_CASE("a format 2 state file reads as the same log as its JSON form", "[undo-log]") {
    // What zcrx-nic wrote before format 3, for sample_log().
    const zcrx::Result<et::UndoLog> old = et::UndoLog::parse(sample_format2);
    REQUIRE(old);
    CHECK(*old == sample_log());
    const zcrx::Result<et::UndoLog> json = et::UndoLog::parse(sample_json);
    REQUIRE(json);
    CHECK(*old == *json);

    // Written again, it is format 3.
    CHECK(old->to_json_text() == sample_json);

    for (const et::TcpDataSplit v :
         {et::TcpDataSplit::unknown, et::TcpDataSplit::disabled, et::TcpDataSplit::enabled}) {
        et::UndoLog one;
        one.ifindex = 1;
        one.port = 1;
        one.steps = {et::SetTcpDataSplit{v}};
        const std::string format2 =
            "zcrx-nic-state 2\nifindex 1\nqueue 0\nport 1\n" + et::to_text(one.steps[0]) + "\n";
        const zcrx::Result<et::UndoLog> from_text = et::UndoLog::parse(format2);
        const zcrx::Result<et::UndoLog> from_json = et::UndoLog::parse(one.to_json_text());
        REQUIRE(from_text);
        REQUIRE(from_json);
        CHECK(*from_text == one);
        CHECK(*from_json == one);
    }
}

TEST_CASE("undo log JSON may have its members in any order and any white space", "[undo-log]") {
    const zcrx::Result<et::UndoLog> log = et::UndoLog::parse(
        "\n\t \r\n{\"steps\":[{\"port\":9999,\"step\":\"delete-rule\",\"location\":31},"
        "{\"indir\":\"default\",\"step\":\"set-rss\"}],\"port\":9999,\"queue\":-0,"
        "\"ifindex\":4,\"zcrx-nic-state\":3}");
    REQUIRE(log);
    CHECK(log->ifindex == 4);
    CHECK(log->queue == 0);
    CHECK(log->port == 9999);
    CHECK(log->steps == std::vector<et::UndoStep>{et::DeleteRule{31, 9999}, et::SetRss{}});
}

TEST_CASE("undo log text may have blank lines, comments and extra spaces", "[undo-log]") {
    const zcrx::Result<et::UndoLog> log = et::UndoLog::parse("\n# hand-edited\nzcrx-nic-state 2\n"
                                                             "port 9999\n\nqueue  1\nifindex 4\n"
                                                             "set-channels 1\n"
                                                             "  delete-rule 31 9999");
    REQUIRE(log);
    CHECK(log->ifindex == 4);
    CHECK(log->queue == 1);
    CHECK(log->port == 9999);
    CHECK(log->steps == std::vector<et::UndoStep>{et::SetChannels{1}, et::DeleteRule{31, 9999}});
}

TEST_CASE("undo log runs backwards, failed steps stay in log order", "[undo-log]") {
    const et::UndoLog log = sample_log();
    std::vector<std::string> order;
    const std::vector<et::UndoStep> left = log.run_backwards([&](const et::UndoStep &step) {
        order.push_back(et::to_text(step));
        return true;
    });
    CHECK(left.empty());
    CHECK(order == std::vector<std::string>{"delete-rule 30 9999", "delete-rule 31 9999",
                                            "set-rss default", "set-rss 0 0 1 0 0 1 0 0",
                                            "set-tcp-data-split off", "set-channels 1"});

    // Every step is tried even after one failed; what failed is what is left.
    order.clear();
    const std::vector<et::UndoStep> failed = log.run_backwards([&](const et::UndoStep &step) {
        order.push_back(et::to_text(step));
        return !std::holds_alternative<et::DeleteRule>(step) &&
               !std::holds_alternative<et::SetChannels>(step);
    });
    CHECK(order.size() == 6);
    CHECK(failed == std::vector<et::UndoStep>{et::SetChannels{1}, et::DeleteRule{31, 9999},
                                              et::DeleteRule{30, 9999}});

    et::UndoLog none;
    CHECK(none.run_backwards([](const et::UndoStep &) { return false; }).empty());
}

TEST_CASE("a garbled text undo log is EINVAL naming the line", "[undo-log]") {
    const std::string head = "zcrx-nic-state 2\nifindex 4\nqueue 1\nport 9999\n";
    REQUIRE(et::UndoLog::parse(head));
    struct Case {
        std::string text;
        std::string_view says;
    };
    const Case cases[] = {
        {"", "empty: not a zcrx-nic state file"},
        {"# only a comment\n", "empty"},
        {"ifindex 4\nqueue 1\nport 9999\n", "line 1: not a zcrx-nic state file"},
        {"zcrx-nic-state\n", "line 1: not a zcrx-nic state file"},
        {"zcrx-nic-state 3\nifindex 4\nqueue 1\nport 9999\n",
         "line 1: format 3 is not a text format (1 and 2 are; 3 is JSON)"},
        {"zcrx-nic-state 0\nifindex 4\nqueue 1\nport 9999\n", "line 1: format 0 is not a text"},
        {"zcrx-nic-state 4\nifindex 4\nqueue 1\nport 9999\n",
         "line 1: format 4 is not one this zcrx-nic reads (1 to 3): written by a newer zcrx-nic?"},
        {"[1, 2]\n", "line 1: not a zcrx-nic state file"},
        {"zcrx-nic-state 2\nqueue 1\nport 9999\n", "at its end: no 'ifindex' line"},
        {"zcrx-nic-state 2\nifindex 4\nport 9999\n", "no 'queue' line"},
        {"zcrx-nic-state 2\nifindex 4\nqueue 1\n", "no 'port' line"},
        {"zcrx-nic-state 2\nifindex 4\nifindex 5\nqueue 1\nport 9999\n",
         "line 3: a second 'ifindex'"},
        {"zcrx-nic-state 2\nifindex -4\nqueue 1\nport 9999\n", "line 2:"},
        {"zcrx-nic-state 2\nifindex 4\nqueue 1\nport 0\n", "line 4:"},
        {"zcrx-nic-state 2\nifindex 4\nqueue 1\nport 65536\n", "line 4:"},
        {head + "colour blue\n", "line 5: 'colour' is not a step"},
        {head + "set-channels\n", "line 5: set-channels takes"},
        {head + "set-channels 0\n", "line 5: set-channels takes"},
        {head + "set-channels 2 3\n", "line 5: set-channels takes"},
        {head + "set-tcp-data-split maybe\n", "line 5: set-tcp-data-split takes"},
        {head + "set-rss\n", "line 5: set-rss takes"},
        {head + "set-rss 0 1 x\n", "line 5: set-rss takes \"default\" or the table's queue "
                                   "numbers, not 'x'"},
        {head + "set-rss 0 -1\n", "line 5: set-rss"},
        {head + "delete-rule 3\n", "line 5: delete-rule takes"},
        {head + "delete-rule 3 0\n", "line 5: delete-rule takes"},
        {head + "delete-rule 3 99 7\n", "line 5: delete-rule takes"},
        {head + "set-channels 1\n\x01\x02\n", "line 6:"},
        // format 2 steps are not format 1 lines, nor the other way round
        {head + "rule 3\n", "line 5: 'rule' is not a step"},
        {"zcrx-nic-state 1\nifindex 4\nqueue 1\nport 9999\nset-channels 1\n",
         "line 5: 'set-channels 1' is not a line of a format 1 state file"},
    };
    for (const Case &c : cases) {
        INFO("text: " << c.text);
        const zcrx::Result<et::UndoLog> r = et::UndoLog::parse(c.text);
        REQUIRE_FALSE(r);
        CHECK(r.error().err == EINVAL);
        const std::string msg = r.error().message();
        INFO("message: " << msg);
        CHECK(contains(msg, c.says));
        CHECK(contains(msg, "state file"));
    }
}

namespace {

// A format 3 state file with these steps (a JSON array's contents), or with
// head instead of its members before "steps".
std::string json_with(std::string_view steps,
                      std::string_view head = R"("zcrx-nic-state": 3, "ifindex": 4, "queue": 1, )"
                                              R"("port": 9999, )") {
    return "{" + std::string(head) + "\"steps\": [" + std::string(steps) + "]}\n";
}

} // namespace

TEST_CASE("a garbled JSON undo log is EINVAL naming the field", "[undo-log]") {
    REQUIRE(et::UndoLog::parse(json_with("")));
    // Two good steps first: the index counts steps, not the arrays in them.
    const std::string ok2 = R"({"step": "set-channels", "combined": 2}, )"
                            R"({"step": "set-rss", "indir": [0, 1, 0]}, )";
    REQUIRE(et::UndoLog::parse(json_with(ok2 + R"({"step": "delete-rule", "location": 3, )"
                                               R"("port": 9999})")));
    struct Case {
        std::string text;
        std::string_view says;
    };
    const Case cases[] = {
        // syntax: the line and column
        {"{", "line 1, column 2: not valid JSON"},
        {R"({"zcrx-nic-state": 3, "ifindex": 4,)", "line 1, column 36: not valid JSON"},
        {sample_json_truncated(), "line 13, column 7: not valid JSON"},
        {json_with("") + "x", "line 2, column 1: not valid JSON"},
        {"{} {}", "line 1, column 4: not valid JSON"},
        {R"({"zcrx-nic-state": 3 // a comment
           })",
         "line 1, column 22: not valid JSON"},
        {json_with("", "\"zcrx-nic-state\": 3, \"ifindex\": 4, \"queue\": 1, \"port\": 9999, "
                       "\"x\": \"\xff\", "),
         "not valid JSON"},
        {json_with(R"([[1]])"),
         "steps[0]: takes a step, an object {\"step\": NAME, ...}, not an array"},
        // beyond a double: nlohmann's out_of_range, not a parse_error
        {json_with("", R"("zcrx-nic-state": 3, "ifindex": 1e400, "queue": 1, "port": 9999, )"),
         "not valid JSON"},
        {R"({"zcrx-nic-state": -1e999})", "not valid JSON"},
        // a member twice: the parser alone would keep the last
        {json_with("", R"("zcrx-nic-state": 3, "ifindex": 4, "queue": 1, "port": 0, )"
                       R"("port": 9999, )"),
         "port: given twice"},
        {json_with(ok2 + R"({"step": "delete-rule", "location": 3, "location": 4, "port": 1})"),
         "steps[2].location: given twice"},
        {json_with(R"({"step": "set-channels", "step": "set-channels", "combined": 1})"),
         "steps[0].step: given twice"},
        {R"({"zcrx-nic-state": 99, "zcrx-nic-state": 3, "ifindex": 4, "queue": 1, )"
         R"("port": 9999, "steps": [{"step": "set-channels", "combined": 1}], "steps": []})",
         "zcrx-nic-state: given twice"},
        // the format
        {"{}", "zcrx-nic-state: missing: not a zcrx-nic state file"},
        {R"({"version": 1, "error": "x"})", "zcrx-nic-state: missing"},
        {json_with("", R"("zcrx-nic-state": "3", )"),
         "zcrx-nic-state: takes the format number (3), not \"3\""},
        {json_with("", R"("zcrx-nic-state": 3.0, )"), "zcrx-nic-state: takes the format number"},
        {json_with("", R"("zcrx-nic-state": -3, )"), "zcrx-nic-state: takes the format number"},
        {json_with("", R"("zcrx-nic-state": 4, "new": true, )"),
         "zcrx-nic-state: format 4 is not one this zcrx-nic reads (1 to 3): written by a newer "
         "zcrx-nic?"},
        {json_with("", R"("zcrx-nic-state": 2, "ifindex": 4, "queue": 1, "port": 9999, )"),
         "zcrx-nic-state: format 2 is not JSON (formats 1 and 2 are text; 3 is JSON)"},
        // the file's members
        {json_with("", R"("zcrx-nic-state": 3, "queue": 1, "port": 9999, )"),
         "ifindex: missing from the state file"},
        {json_with("", R"("zcrx-nic-state": 3, "ifindex": 4, "port": 9999, )"),
         "queue: missing from the state file"},
        {json_with("", R"("zcrx-nic-state": 3, "ifindex": 4, "queue": 1, )"),
         "port: missing from the state file"},
        {R"({"zcrx-nic-state": 3, "ifindex": 4, "queue": 1, "port": 9999})",
         "steps: missing from the state file"},
        {json_with("", R"("zcrx-nic-state": 3, "ifindex": -4, "queue": 1, "port": 9999, )"),
         "ifindex: takes an interface index (0 to 4294967295), not -4"},
        {json_with("", R"("zcrx-nic-state": 3, "ifindex": 4294967296, "queue": 1, )"
                       R"("port": 9999, )"),
         "ifindex: takes an interface index (0 to 4294967295), not 4294967296"},
        {json_with("", R"("zcrx-nic-state": 3, "ifindex": 4, "queue": "1", "port": 9999, )"),
         "queue: takes a queue number (0 to 4294967295), not \"1\""},
        {json_with("", R"("zcrx-nic-state": 3, "ifindex": 4, "queue": null, "port": 9999, )"),
         "queue: takes a queue number (0 to 4294967295), not null"},
        {json_with("", R"("zcrx-nic-state": 3, "ifindex": 4, "queue": 1, "port": 0, )"),
         "port: takes a port (1 to 65535), not 0"},
        {json_with("", R"("zcrx-nic-state": 3, "ifindex": 4, "queue": 1, "port": 65536, )"),
         "port: takes a port (1 to 65535), not 65536"},
        {json_with("", R"("zcrx-nic-state": 3, "ifindex": 4, "queue": 1, "port": 99.5, )"),
         "port: takes a port (1 to 65535), not 99.5"},
        {json_with("", R"("zcrx-nic-state": 3, "ifindex": 4, "queue": 1, "port": [9999], )"),
         "port: takes a port (1 to 65535), not an array"},
        {json_with("", R"("zcrx-nic-state": 3, "ifindex": 4, "queue": 1, "port": 9999, )"
                       R"("colour": "blue", )"),
         "colour: not a field of the state file (zcrx-nic-state, ifindex, queue, port, steps)"},
        {R"({"zcrx-nic-state": 3, "ifindex": 4, "queue": 1, "port": 9999, "steps": {}})",
         "steps: takes an array of steps, first step first, not an object"},
        {R"({"zcrx-nic-state": 3, "ifindex": 4, "queue": 1, "port": 9999, "steps": null})",
         "steps: takes an array of steps, first step first, not null"},
        // a step that is not one
        {json_with("5"), "steps[0]: takes a step, an object {\"step\": NAME, ...}, not 5"},
        {json_with(ok2 + "[]"), "steps[2]: takes a step, an object"},
        {json_with(ok2 + "\"set-channels 1\""), "steps[2]: takes a step, an object"},
        {json_with(R"({"combined": 1})"), "steps[0].step: missing: every step has a name"},
        {json_with(R"({"step": 1})"), "steps[0].step: takes a step's name (set-channels, "
                                      "set-tcp-data-split, set-rss or delete-rule), not 1"},
        {json_with(ok2 + R"({"step": "colour"})"),
         "steps[2].step: 'colour' is not a step zcrx-nic undo knows"},
        {json_with(R"({"step": "rule", "location": 3})"),
         "steps[0].step: 'rule' is not a step zcrx-nic undo knows"},
        {json_with(R"({"step": "SET-CHANNELS", "combined": 1})"), "steps[0].step: 'SET-CHANNELS'"},
        // set-channels
        {json_with(ok2 + R"({"step": "set-channels"})"),
         "steps[2].combined: missing from the set-channels step"},
        {json_with(R"({"step": "set-channels", "combined": 0})"),
         "steps[0].combined: takes a channel count (1 to 4294967295), not 0"},
        {json_with(R"({"step": "set-channels", "combined": -1})"),
         "steps[0].combined: takes a channel count (1 to 4294967295), not -1"},
        {json_with(R"({"step": "set-channels", "combined": "2"})"),
         "steps[0].combined: takes a channel count"},
        {json_with(R"({"step": "set-channels", "combined": 4294967296})"),
         "steps[0].combined: takes a channel count"},
        {json_with(R"({"step": "set-channels", "combined": 1, "port": 9999})"),
         "steps[0].port: not a field of the set-channels step (step, combined)"},
        // set-tcp-data-split
        {json_with(R"({"step": "set-tcp-data-split"})"),
         "steps[0].value: missing from the set-tcp-data-split step"},
        {json_with(R"({"step": "set-tcp-data-split", "value": "maybe"})"),
         "steps[0].value: takes \"on\", \"off\" or \"auto\", not \"maybe\""},
        {json_with(R"({"step": "set-tcp-data-split", "value": "unknown"})"),
         "steps[0].value: takes \"on\", \"off\" or \"auto\", not \"unknown\""},
        {json_with(R"({"step": "set-tcp-data-split", "value": true})"),
         "steps[0].value: takes \"on\", \"off\" or \"auto\", not true"},
        {json_with(R"({"step": "set-tcp-data-split", "value": "on", "combined": 1})"),
         "steps[0].combined: not a field of the set-tcp-data-split step (step, value)"},
        // set-rss
        {json_with(R"({"step": "set-rss"})"), "steps[0].indir: missing from the set-rss step"},
        {json_with(R"({"step": "set-rss", "indir": "defaults"})"),
         "steps[0].indir: takes \"default\" or the table's queue numbers, not \"defaults\""},
        {json_with(R"({"step": "set-rss", "indir": 0})"),
         "steps[0].indir: takes \"default\" or the table's queue numbers, not 0"},
        {json_with(R"({"step": "set-rss", "indir": {}})"),
         "steps[0].indir: takes \"default\" or the table's queue numbers, not an object"},
        {json_with(R"({"step": "set-rss", "indir": []})"),
         "steps[0].indir: an empty table (the driver's default is \"default\")"},
        {json_with(ok2 + R"({"step": "set-rss", "indir": [0, 1, "x"]})"),
         "steps[2].indir[2]: takes a queue number (0 to 4294967295), not \"x\""},
        {json_with(R"({"step": "set-rss", "indir": [0, -1]})"),
         "steps[0].indir[1]: takes a queue number (0 to 4294967295), not -1"},
        {json_with(R"({"step": "set-rss", "indir": [[0]]})"),
         "steps[0].indir[0]: takes a queue number (0 to 4294967295), not an array"},
        {json_with(R"({"step": "set-rss", "indir": [4294967296]})"),
         "steps[0].indir[0]: takes a queue number"},
        {json_with(R"({"step": "set-rss", "indir": "default", "hkey": "00"})"),
         "steps[0].hkey: not a field of the set-rss step (step, indir)"},
        // delete-rule
        {json_with(R"({"step": "delete-rule", "port": 9999})"),
         "steps[0].location: missing from the delete-rule step"},
        {json_with(R"({"step": "delete-rule", "location": 3})"),
         "steps[0].port: missing from the delete-rule step"},
        {json_with(R"({"step": "delete-rule", "location": -1, "port": 9999})"),
         "steps[0].location: takes a rule location (0 to 4294967295), not -1"},
        {json_with(R"({"step": "delete-rule", "location": 1e3, "port": 9999})"),
         "steps[0].location: takes a rule location (0 to 4294967295), not 1000.0"},
        {json_with(ok2 + R"({"step": "delete-rule", "location": 3, "port": 0})"),
         "steps[2].port: takes a port (1 to 65535), not 0"},
        {json_with(R"({"step": "delete-rule", "location": 3, "port": 65536})"),
         "steps[0].port: takes a port (1 to 65535), not 65536"},
        {json_with(R"({"step": "delete-rule", "location": 3, "port": "9999"})"),
         "steps[0].port: takes a port (1 to 65535), not \"9999\""},
        {json_with(R"({"step": "delete-rule", "location": 3, "port": 9999, "queue": 1})"),
         "steps[0].queue: not a field of the delete-rule step (step, location, port)"},
    };
    for (const Case &c : cases) {
        INFO("text: " << c.text);
        zcrx::Result<et::UndoLog> r = zcrx::Error();
        REQUIRE_NOTHROW(r = et::UndoLog::parse(c.text));
        REQUIRE_FALSE(r);
        CHECK(r.error().err == EINVAL);
        const std::string msg = r.error().message();
        INFO("message: " << msg);
        CHECK(contains(msg, c.says));
        CHECK(contains(msg, "parse a zcrx-nic state file"));
        CHECK(contains(msg, "zcrx-nic show"));
    }
}

TEST_CASE("a format 1 state file reads as the steps its undo took", "[undo-log]") {
    const zcrx::Result<et::UndoLog> log =
        et::UndoLog::parse("zcrx-nic-state 1\nifindex 4\nqueue 3\nport 9999\nchannels-before 8\n"
                           "tcp-data-split-before 1\nrule 1023\nrule 1022\n");
    REQUIRE(log);
    CHECK(log->ifindex == 4);
    CHECK(log->queue == 3);
    CHECK(log->port == 9999);
    // It did not record the RSS table: its undo reset it to the default.
    CHECK(log->steps == std::vector<et::UndoStep>{
                            et::SetChannels{8}, et::SetTcpDataSplit{et::TcpDataSplit::disabled},
                            et::SetRss{}, et::DeleteRule{1023, 9999}, et::DeleteRule{1022, 9999}});

    // Split on before: apply left it alone. Not reported: back to auto.
    const zcrx::Result<et::UndoLog> on = et::UndoLog::parse(
        "zcrx-nic-state 1\nifindex 4\nqueue 3\nport 9999\ntcp-data-split-before 2\n");
    REQUIRE(on);
    CHECK(on->steps == std::vector<et::UndoStep>{et::SetRss{}});
    const zcrx::Result<et::UndoLog> unknown =
        et::UndoLog::parse("zcrx-nic-state 1\nifindex 4\nqueue 3\nport 9999\n");
    REQUIRE(unknown);
    CHECK(unknown->steps ==
          std::vector<et::UndoStep>{et::SetTcpDataSplit{et::TcpDataSplit::unknown}, et::SetRss{}});

    // Written as format 3 and read back, it is the same log.
    const zcrx::Result<et::UndoLog> again = et::UndoLog::parse(log->to_json_text());
    REQUIRE(again);
    CHECK(*again == *log);
}

TEST_CASE("RSS is put back as the default when it was the driver's spread", "[undo-log]") {
    CHECK(et::restore_rss(et::equal_indir(8, 2), 2) == et::SetRss{});
    CHECK(et::restore_rss(et::equal_indir(128, 4), 4) == et::SetRss{});
    // the default over another number of queues is a table someone set
    CHECK(et::restore_rss(et::equal_indir(8, 2), 4) == et::SetRss{et::equal_indir(8, 2)});
    const std::vector<std::uint32_t> weighted = {0, 1, 1, 0, 1, 1, 0, 1};
    CHECK(et::restore_rss(weighted, 2) == et::SetRss{weighted});
}
