/* Unit tests of the controller's event bus (core/events.c): a follower
 * behind the ring gets a "gap" entry with the missing range before the
 * oldest kept event; ids continue across restarts through events.seq in
 * the state directory (exactly after a clean stop, a reserved block ahead
 * after a crash); a malformed mark file is refused with its path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "testsupport.h"

static void emit_n(struct weft_event_bus *bus, int n)
{
	for (int i = 0; i < n; i++)
		events_emit(bus, "revision", json_pack("{s:i}", "i", i));
}

static json_int_t int_at(json_t *events, size_t i, const char *key)
{
	return json_integer_value(json_object_get(json_array_get(events, i), key));
}

static void assert_gap(json_t *events, json_int_t from, json_int_t to)
{
	json_t *g = json_array_get(events, 0);
	assert_string_equal(json_string_value(json_object_get(g, "type")), "gap");
	json_t *d = json_object_get(g, "data");
	assert_int_equal(json_integer_value(json_object_get(d, "from")), from);
	assert_int_equal(json_integer_value(json_object_get(d, "to")), to);
	assert_int_equal(json_integer_value(json_object_get(d, "missed")), to - from + 1);
	assert_int_equal(int_at(events, 0, "seq"), to);
}

static void test_gap_when_behind_the_ring(void **state)
{
	(void)state;
	struct weft_event_bus bus;
	assert_int_equal(events_init(&bus), 0);
	emit_n(&bus, 2000);
	int closed = 0;
	/* 2000 emitted, the newest 1024 kept: 977..2000 */
	json_t *ev = events_since(&bus, 5, 0, &closed);
	assert_int_equal(json_array_size(ev), 1 + WEFT_EVENTS_KEEP);
	assert_gap(ev, 6, 976);
	assert_int_equal(int_at(ev, 1, "seq"), 977);
	json_decref(ev);
	ev = events_since(&bus, 0, 0, &closed);
	assert_gap(ev, 1, 976);
	json_decref(ev);
	/* caught up with the ring: no gap */
	ev = events_since(&bus, 976, 0, &closed);
	assert_int_equal(json_array_size(ev), WEFT_EVENTS_KEEP);
	assert_int_equal(int_at(ev, 0, "seq"), 977);
	json_decref(ev);
	ev = events_since(&bus, 1990, 0, &closed);
	assert_int_equal(json_array_size(ev), 10);
	json_decref(ev);
	events_destroy(&bus);
}

static unsigned long long mark_of(const char *path)
{
	char *text = ts_read_file(path, NULL);
	assert_non_null(text);
	unsigned long long v = strtoull(text, NULL, 10);
	free(text);
	return v;
}

static void test_ids_continue_across_restarts(void **state)
{
	(void)state;
	char *dir = ts_mkdtemp("weft-events");
	char path[600];
	snprintf(path, sizeof(path), "%s/events.seq", dir);
	weft_err err = {0};
	struct weft_event_bus bus;

	/* first run: ids from 1, a block reserved ahead, exact at the stop */
	assert_int_equal(events_init(&bus), 0);
	assert_int_equal(events_persist(&bus, path, &err), 0);
	assert_int_equal(mark_of(path), WEFT_EVENTS_RESERVE);
	emit_n(&bus, 3);
	assert_int_equal(events_last(&bus), 3);
	events_destroy(&bus);
	assert_int_equal(mark_of(path), 3);

	/* second run: continues at 4; what the first run sent is a gap */
	assert_int_equal(events_init(&bus), 0);
	assert_int_equal(events_persist(&bus, path, &err), 0);
	assert_int_equal(events_last(&bus), 3);
	int closed = 0;
	json_t *ev = events_since(&bus, 1, 0, &closed);
	assert_int_equal(json_array_size(ev), 1);
	assert_gap(ev, 2, 3);
	json_decref(ev);
	emit_n(&bus, 1);
	ev = events_since(&bus, 3, 0, &closed);
	assert_int_equal(json_array_size(ev), 1);
	assert_int_equal(int_at(ev, 0, "seq"), 4);
	json_decref(ev);
	/* using ids beyond the reserved block reserves the next one */
	emit_n(&bus, WEFT_EVENTS_RESERVE);
	assert_true(mark_of(path) >= 4 + WEFT_EVENTS_RESERVE);

	/* a crash (no clean stop) skips to after the reserved block: ids
	 * are never reused */
	unsigned long long reserved = mark_of(path);
	struct weft_event_bus after_crash;
	assert_int_equal(events_init(&after_crash), 0);
	assert_int_equal(events_persist(&after_crash, path, &err), 0);
	assert_true(events_last(&after_crash) >= events_last(&bus));
	assert_int_equal(events_last(&after_crash), reserved);
	free(bus.seq_path); /* the crashed run writes nothing more */
	bus.seq_path = NULL;
	events_destroy(&bus);
	events_destroy(&after_crash);

	/* a malformed mark is refused, naming the file */
	for (int i = 0; i < 3; i++) {
		static const char *const bad[] = {"x\n", "-5\n", "12abc\n"};
		assert_int_equal(ts_write_file(path, bad[i]), 0);
		assert_int_equal(events_init(&bus), 0);
		assert_int_equal(events_persist(&bus, path, &err), -1);
		assert_non_null(strstr(err.msg, path));
		events_destroy(&bus);
	}
	ts_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_gap_when_behind_the_ring),
	        cmocka_unit_test(test_ids_continue_across_restarts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
