/*
 * check_run.h — how every unit suite runs: each test in its own process (a
 * crash fails that test, not the suite; CK_FORK=no in the environment runs
 * them in one process, for a debugger), exit status 0 only if all passed.
 */
#ifndef PMM_CHECK_RUN_H
#define PMM_CHECK_RUN_H

#include <check.h>
#include <stdlib.h>

static inline int
check_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
