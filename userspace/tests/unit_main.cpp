#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
// Catch2 v2 ships the TAP reporter (-r tap) as an opt-in header.
#include <catch2/catch_reporter_tap.hpp>
