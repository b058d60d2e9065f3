"""The soak's short form (make soak runs the long one, docs/soak.md): one
minute of mixed load through nginx on PostgreSQL, with the same pass
rules: no unexpected answer, RSS within 5 % after warm-up, no growth in
file descriptors or database connections."""
import soak

# Long enough for a first and a last window of 6 one-second samples each.
CI_SECONDS = 60


def test_a_minute_of_mixed_load_answers_as_expected_and_holds_steady(make_stack, tmp_path):
    stack = make_stack("postgres", env=soak.SOAK_ENV)
    passed, line = soak.run(stack, CI_SECONDS, str(tmp_path / "soak"), clients=4)
    assert passed, line
