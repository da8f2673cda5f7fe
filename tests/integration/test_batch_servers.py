"""The wire servers' Batch API endpoints, through the official SDKs.

Each server accepts only the fields the real API accepts (checked against the SDK's own
parameter types), moves batches on a controllable clock (queued → in progress → ended),
and plays partial failure, expiry, cancellation and validation failure. Every create is
logged (``srv.batch_creates``).
"""

from __future__ import annotations

import json

import anthropic
import openai
import pytest
from google import genai
from google.genai import types

from tests.conftest import fake_key
from tests.servers import AnthropicBatchServer, Fault, GeminiBatchServer, OpenAIBatchServer

pytestmark = pytest.mark.timeout(60)


def openai_client(srv: OpenAIBatchServer) -> openai.OpenAI:
    return openai.OpenAI(api_key=fake_key("openai"), base_url=srv.base_url, max_retries=0)


def openai_lines(n: int, fail: set[int] = frozenset()) -> bytes:
    lines = []
    for i in range(n):
        text = f"question {i}" + (" FAIL_ME" if i in fail else "")
        body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]}
        lines.append(
            {"custom_id": f"r{i}", "method": "POST", "url": "/v1/chat/completions", "body": body}
        )
    return "".join(json.dumps(x) + "\n" for x in lines).encode()


def openai_batch(client: openai.OpenAI, data: bytes, **kw):
    upload = client.files.create(file=("in.jsonl", data), purpose="batch")
    return client.batches.create(
        input_file_id=upload.id, endpoint="/v1/chat/completions", completion_window="24h", **kw
    )


def test_openai_batch_moves_on_the_clock_and_answers_every_line() -> None:
    with OpenAIBatchServer() as srv:
        client = openai_client(srv)
        srv.batch_queue_seconds, srv.batch_run_seconds = 10, 100
        batch = openai_batch(client, openai_lines(4, fail={2}), metadata={"job": "a"})
        assert batch.status == "validating" and batch.metadata == {"job": "a"}
        srv.advance(60)
        running = client.batches.retrieve(batch.id)
        assert running.status == "in_progress" and running.output_file_id is None
        assert running.request_counts.total == 4
        srv.advance(60)
        done = client.batches.retrieve(batch.id)
        assert done.status == "completed"
        assert (done.request_counts.completed, done.request_counts.failed) == (3, 1)
        out = [json.loads(x) for x in client.files.content(done.output_file_id).text.splitlines()]
        bad = [json.loads(x) for x in client.files.content(done.error_file_id).text.splitlines()]
        assert sorted(x["custom_id"] for x in out) == ["r0", "r1", "r3"]
        assert out[0]["response"]["body"]["choices"][0]["message"]["content"].endswith("question 0")
        assert [x["custom_id"] for x in bad] == ["r2"]
        assert bad[0]["response"]["status_code"] == 400
        assert len(srv.batch_creates) == 1
        assert [b.id for b in client.batches.list(limit=10)] == [batch.id]


def test_openai_refuses_fields_the_api_does_not_accept() -> None:
    with OpenAIBatchServer() as srv:
        client = openai_client(srv)
        with pytest.raises(openai.BadRequestError, match="unknown parameter"):
            openai_batch(client, openai_lines(1), extra_body={"priority": "high"})
        bad_line = json.dumps(
            {"custom_id": "x", "method": "POST", "url": "/v1/chat/completions",
             "body": {"model": "m", "messages": [], "not_a_field": 1}}
        ).encode()  # fmt: skip
        with pytest.raises(openai.BadRequestError, match="not_a_field"):
            openai_batch(client, bad_line)
        with pytest.raises(openai.BadRequestError, match="duplicate custom_id"):
            openai_batch(client, openai_lines(1) + openai_lines(1))
        assert srv.batch_creates == []


def test_openai_expired_cancelled_and_failed_batches() -> None:
    with OpenAIBatchServer() as srv:
        client = openai_client(srv)
        srv.script_batch("expire")
        expired = openai_batch(client, openai_lines(4))
        status = client.batches.retrieve(expired.id)
        assert status.status == "expired"
        errors = client.files.content(status.error_file_id).text.splitlines()
        assert [json.loads(x)["error"]["code"] for x in errors] == ["batch_expired"] * 2

        srv.batch_run_seconds = 100
        running = openai_batch(client, openai_lines(10))
        srv.advance(50)
        assert client.batches.cancel(running.id).status == "cancelling"
        cancelled = client.batches.retrieve(running.id)
        assert cancelled.status == "cancelled"
        assert cancelled.request_counts.completed == 5  # half the run had passed

        srv.script_batch("fail")
        failed = openai_batch(client, openai_lines(2))
        assert client.batches.retrieve(failed.id).status == "failed"


def test_anthropic_message_batches() -> None:
    with AnthropicBatchServer() as srv:
        client = anthropic.Anthropic(
            api_key=fake_key("anthropic"), base_url=srv.base_url, max_retries=0
        )
        srv.batch_run_seconds = 30
        requests = [
            {
                "custom_id": f"r{i}",
                "params": {
                    "model": "claude-haiku-4-5",
                    "max_tokens": 50,
                    "messages": [{"role": "user", "content": f"q{i}" + (" FAIL_ME" * (i == 1))}],
                },
            }
            for i in range(3)
        ]
        batch = client.messages.batches.create(requests=requests)
        assert batch.processing_status == "in_progress"
        assert batch.request_counts.processing == 3 and batch.results_url is None
        srv.advance(31)
        ended = client.messages.batches.retrieve(batch.id)
        assert ended.processing_status == "ended"
        assert (ended.request_counts.succeeded, ended.request_counts.errored) == (2, 1)
        results = {r.custom_id: r.result for r in client.messages.batches.results(batch.id)}
        assert results["r0"].type == "succeeded"
        assert results["r0"].message.content[0].text.endswith("q0")
        assert results["r1"].type == "errored"
        assert [b.id for b in client.messages.batches.list(limit=5)] == [batch.id]

        bad = [{"custom_id": "r0", "params": {**requests[0]["params"], "metadata_x": 1}}]
        with pytest.raises(anthropic.BadRequestError, match="metadata_x"):
            client.messages.batches.create(requests=bad)
        with pytest.raises(anthropic.BadRequestError, match="custom_id"):
            client.messages.batches.create(
                requests=[{"custom_id": "no spaces!", "params": requests[0]["params"]}]
            )
        srv.batch_run_seconds = 100
        running = client.messages.batches.create(requests=requests)
        client.messages.batches.cancel(running.id)
        counts = client.messages.batches.retrieve(running.id).request_counts
        assert counts.canceled == 3
        assert len(srv.batch_creates) == 2


def test_gemini_batch_mode() -> None:
    with GeminiBatchServer() as srv:
        client = genai.Client(
            api_key=fake_key("gemini"),
            http_options=types.HttpOptions(base_url=srv.base_url, api_version="v1beta"),
        )
        src = [
            {
                "contents": [{"role": "user", "parts": [{"text": f"q{i}"}]}],
                "metadata": {"key": f"r{i}"},
                "config": {"max_output_tokens": 40},
            }
            for i in range(3)
        ]
        srv.batch_queue_seconds = 5
        job = client.batches.create(
            model="gemini-2.5-flash", src=src, config={"display_name": "job-1"}
        )
        assert job.state.value == "JOB_STATE_PENDING" and job.display_name == "job-1"
        srv.advance(6)
        done = client.batches.get(name=job.name)
        assert done.state.value == "JOB_STATE_SUCCEEDED"
        responses = done.dest.inlined_responses
        assert [r.metadata["key"] for r in responses] == ["r0", "r1", "r2"]
        assert responses[2].response.text.endswith("q2")
        assert [j.display_name for j in client.batches.list()] == ["job-1"]
        srv.batch_run_seconds = 100
        second = client.batches.create(model="gemini-2.5-flash", src=src)
        client.batches.cancel(name=second.name)
        assert client.batches.get(name=second.name).state.value == "JOB_STATE_CANCELLED"
        srv.script(Fault.server_error(503), model="batches.create")
        with pytest.raises(genai.errors.ServerError):
            client.batches.create(model="gemini-2.5-flash", src=src)
        assert len(srv.batch_creates) == 2
