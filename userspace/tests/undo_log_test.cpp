#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "zcrx/undo_log.hpp"

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

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

} // namespace

TEST_CASE("undo log survives a round trip through its text form", "[undo-log]") {
    const et::UndoLog log = sample_log();
    const std::string text = log.to_text();
    CHECK(text == "zcrx-nic-state 2\n"
                  "# zcrx-nic apply's changes to one device: each line after \"port\" undoes "
                  "one,\n"
                  "# and zcrx-nic undo runs them from the last line up\n"
                  "ifindex 4\nqueue 1\nport 9999\n"
                  "set-channels 1\n"
                  "set-tcp-data-split off\n"
                  "set-rss 0 0 1 0 0 1 0 0\n"
                  "set-rss default\n"
                  "delete-rule 31 9999\n"
                  "delete-rule 30 9999\n");
    const zcrx::Result<et::UndoLog> back = et::UndoLog::parse(text);
    REQUIRE(back);
    CHECK(*back == log);

    et::UndoLog empty;
    empty.ifindex = 1;
    empty.port = 1;
    const zcrx::Result<et::UndoLog> empty_back = et::UndoLog::parse(empty.to_text());
    REQUIRE(empty_back);
    CHECK(*empty_back == empty);
    CHECK(empty_back->steps.empty());

    for (const et::TcpDataSplit v :
         {et::TcpDataSplit::unknown, et::TcpDataSplit::disabled, et::TcpDataSplit::enabled}) {
        et::UndoLog one = empty;
        one.steps = {et::SetTcpDataSplit{v}};
        const zcrx::Result<et::UndoLog> r = et::UndoLog::parse(one.to_text());
        REQUIRE(r);
        CHECK(*r == one);
    }
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

TEST_CASE("a garbled undo log is EINVAL naming the line", "[undo-log]") {
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
        {"zcrx-nic-state 3\nifindex 4\nqueue 1\nport 9999\n", "line 1: format 3"},
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

    // Read back as format 2, it is the same log.
    const zcrx::Result<et::UndoLog> again = et::UndoLog::parse(log->to_text());
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
