"""What the tests share; test modules import from here and never from one another.

* ``values``: the identities and canned objects (user, credentials, training, model ids).
* ``models``: small torch models and their bytes.
* ``paths``: the repository, tests/fixtures/, examples/.
* ``contract``: validation against openapi/fl-demonstrator.yaml; ``openapi_strategies``: Hypothesis
  requests built from it; ``contract_server``: a pytest-httpserver checked against it;
  ``contract_schemas``: server schemas (the live one, a synthetic release) for ``contract diff``.
* ``participant``: the canned participant's `Communication` for the contract server.
* ``multipart``: request bodies parsed the way the server parses them (werkzeug).
* ``faults`` and ``rawserver``: raw-socket servers that misbehave on purpose.
* ``notifications``: notification bodies, a recording dispatcher, raw HTTP to a receiver.
* ``serve``: real ``fl-client serve`` participants against the emulator, upload counters.
* ``cli``: the ``fl-client`` executable in a subprocess or a pseudo-terminal.
* ``doctor``: ``fl-client doctor`` against the emulator: a participant, its scripts, the report.
* pytest plugins (conftest.py loads them): ``emulator`` (an emulator checked against the contract,
  a notification sink, participants' `Communication`), ``resources`` (sync and async clients),
  ``guards`` (files left in the repository, processes started by tests not marked slow).

A free port and waiting on a condition come from `fl_client.testing` (``free_port``,
``wait_for``), which the examples and benchmarks use too.
"""
