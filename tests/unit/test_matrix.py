"""``engine.matrix``: templates over lists, Series and DataFrames, on the offline simulator."""

from __future__ import annotations

import pandas as pd
import pytest

from orchestration_kernel import MatrixResult, OrchestrationEngine, RetryPolicy
from orchestration_kernel.errors import ConfigurationError, UnknownModelError
from orchestration_kernel.matrix import matrix_prompts

FAST = RetryPolicy(max_attempts=1, base_delay=0.001, max_delay=0.01)
MODELS = ["gpt-4o", "claude-sonnet-4-6"]


def make_engine(**kw) -> OrchestrationEngine:
    kw.setdefault("offline", "on")
    kw.setdefault("retry", FAST)
    return OrchestrationEngine(**kw)


def test_prompts_from_a_list_and_any_iterable() -> None:
    made = matrix_prompts("Q: {item}", ["a", "b"])
    assert made.prompts == ["Q: a", "Q: b"] and made.index is None and made.source is None
    assert matrix_prompts("{item}!", (x for x in "xy")).prompts == ["x!", "y!"]


def test_prompts_from_a_series_keep_its_index_and_name() -> None:
    s = pd.Series(["good", "bad"], index=["r1", "r2"], name="review")
    made = matrix_prompts("{review} / {item}", s)
    assert made.prompts == ["good / good", "bad / bad"]
    assert made.index == ["r1", "r2"] and made.labels == ["r1", "r2"]


def test_prompts_from_a_dataframe_one_per_row_with_columns() -> None:
    df = pd.DataFrame({"review": ["great", "awful"], "stars": [5, 1]}, index=[10, 20])
    made = matrix_prompts("{stars} stars: {review} ({item[review]})", df)
    assert made.prompts == ["5 stars: great (great)", "1 stars: awful (awful)"]
    assert made.index == [10, 20]
    # {item} is the whole row, as JSON
    assert '"stars": 5' in matrix_prompts("{item}", df).prompts[0]


def test_a_column_whose_name_is_not_an_identifier_is_reached_by_its_name() -> None:
    # CSV headers with spaces and read_csv(header=None)'s integer columns: written as
    # {review text} and {0}, they were sent to the model literally.
    df = pd.DataFrame({"review text": ["great", "awful"], "stars": [5, 1]})
    made = matrix_prompts('{review text} ({stars}) {{review text}} {"review text": 1}', df)
    assert made.prompts == [
        'great (5) {review text} {"review text": 1}',
        'awful (1) {review text} {"review text": 1}',
    ]
    # {item[...]} reaches it too, quoted or not.
    assert matrix_prompts("{item[review text]}|{item['review text']}", df).prompts[1] == (
        "awful|awful"
    )
    numbered = pd.DataFrame([["a", "b"], ["c", "d"]])  # columns 0 and 1
    assert matrix_prompts("{0}-{1} {2}", numbered).prompts == ["a-b {2}", "c-d {2}"]
    # Without interpolation every brace stays as written.
    one = df.head(1)
    assert matrix_prompts("{review text}", one, interpolate=False).prompts[0] == "{review text}"


@pytest.mark.parametrize(
    ("template", "items", "said"),
    [
        # Jinja's {{name}} is our escape: every row would get a literal '{text}'.
        ("Classify: {{text}}", pd.Series(["good", "bad"], name="text"), "{{text}} is a literal"),
        ("Classify: {{ review }}", pd.DataFrame({"review": ["a", "b"]}), "{{ review }} is a"),
        ("Tell me a joke", ["a", "b", "c"], "all 3 items"),
        ("Rate it", pd.DataFrame({"review": ["a", "b"], "stars": [1, 2]}), "{review}, {stars}"),
        ("{review}", pd.DataFrame({"review": ["a", "b"]}), "exactly as written"),
        ("Rate {review.upper()}", pd.DataFrame({"review": ["a", "b"]}), "not a call"),
    ],
)
def test_a_prompt_that_reads_nothing_of_the_items_is_refused_before_any_call(
    template: str, items: object, said: str
) -> None:
    interpolate = template != "{review}"
    with pytest.raises(ConfigurationError, match="would get the same prompt") as caught:
        matrix_prompts(template, items, interpolate=interpolate, what="--over df")
    assert said in str(caught.value)
    assert "{item}" in str(caught.value)


def test_a_misspelt_column_is_named_before_the_same_prompt_is_refused() -> None:
    df = pd.DataFrame({"review": ["a", "b"]})
    with pytest.raises(ConfigurationError) as caught:
        matrix_prompts("Rate {Review}", df)
    said = str(caught.value)
    assert "did you mean 'review'? To send {Review} as written" in said
    assert "same prompt" not in said


def test_a_prompt_may_read_the_items_through_any_field_or_one_item_alone() -> None:
    df = pd.DataFrame({"review": ["a", "b"], "stars": [1, 2]})
    assert matrix_prompts("{stars} stars", df).prompts == ["1 stars", "2 stars"]
    assert matrix_prompts("Q: {item[review]}", df).prompts == ["Q: a", "Q: b"]
    assert matrix_prompts("Tell me a joke", ["x"]).prompts == ["Tell me a joke"]
    # A kernel name beside an item field is fine; the kernel name alone is not.
    assert matrix_prompts("{n}: {item}", ["x", "y"], namespace={"n": 7}).prompts == [
        "7: x",
        "7: y",
    ]
    with pytest.raises(ConfigurationError, match="same prompt"):
        matrix_prompts("{n} jokes", ["x", "y"], namespace={"n": 7})


def test_records_fill_their_keys_and_become_columns() -> None:
    records = [{"review": "great", "stars": 5}, {"review": "awful", "stars": 1}]
    assert matrix_prompts("{review} ({stars})", records).prompts == ["great (5)", "awful (1)"]
    series = pd.Series(["x"], name="review text")
    assert matrix_prompts("[{review text}]", series).prompts == ["[x]"]
    frame = make_engine().matrix_sync(["gpt-4o"], "{review}", records).to_dataframe()
    assert list(frame.columns) == ["review", "stars", "gpt-4o"]
    assert frame["stars"].tolist() == [5, 1]


def test_each_cell_keeps_its_own_column_type() -> None:
    # A row taken as one Series would make the int a float beside a float column, and a
    # NaN a NaT beside a date.
    df = pd.DataFrame(
        {"id": [1, 2], "score": [0.5, 1.5], "when": [pd.Timestamp("2024-01-01"), pd.NaT]}
    )
    made = matrix_prompts("{id}|{score}|{when}", df)
    assert made.prompts == ["1|0.5|2024-01-01", "2|1.5|"]


def test_a_missing_cell_renders_as_nothing_and_as_null_in_item() -> None:
    df = pd.DataFrame(
        {
            "review": ["fine", None],
            "stars": [4.0, float("nan")],
            "n": pd.array([1, None], dtype="Int64"),
            "when": [pd.NaT, pd.Timestamp("2024-01-01")],
        }
    )
    made = matrix_prompts("[{review}] [{stars}] [{n}] [{when}]", df)
    # A float column of whole numbers with a gap is how pandas holds ints with a missing
    # value ([4, None]): its values read as ints ("5-star", not "5.0-star").
    assert made.prompts == ["[fine] [4] [1] []", "[] [] [] [2024-01-01]"]
    row = matrix_prompts("{item}", df[["review", "stars"]]).prompts[1]
    assert '"review": null' in row and '"stars": null' in row and "NaN" not in row
    assert matrix_prompts("<{item}>", pd.Series([1.5, None])).prompts == ["<1.5>", "<>"]
    # Sent blank, but never silently: each empty placeholder is named with its rows.
    assert made.missing == {"{review}": [1], "{stars}": [1], "{n}": [1], "{when}": [0]}
    (note, *_) = made.notes()
    assert note.startswith("{review} has no value (None/NaN) in 1 of 2 items (1)")
    assert matrix_prompts("{review}", df.dropna(subset=["review"])).notes() == []


def test_a_matrix_over_rows_with_missing_values_warns() -> None:
    df = pd.DataFrame({"q": ["x", None, float("nan")]}, index=["a", "b", "c"])
    with pytest.warns(UserWarning, match=r"\{q\} has no value .* 2 of 3 items \(b, c\)"):
        make_engine().matrix_sync(["gpt-4o"], "Answer {q}", df)


def test_namespace_names_fill_the_rest() -> None:
    made = matrix_prompts("{tone}: {item}", ["x"], namespace={"tone": "terse"})
    assert made.prompts == ["terse: x"]


@pytest.mark.parametrize(
    ("items", "message"),
    [("text", "not str"), ({"a": 1}, "not dict"), (5, "not int"), ([], "is empty")],
)
def test_bad_items_are_clear(items, message) -> None:
    with pytest.raises(ConfigurationError, match=message):
        matrix_prompts("{item}", items)


def test_a_typo_in_the_template_names_the_item_and_nearest_name() -> None:
    df = pd.DataFrame({"review": ["x"]}, index=["row-a"])
    with pytest.raises(ConfigurationError) as info:
        matrix_prompts("{reveiw}", df)
    assert "'row-a'" in str(info.value) and "review" in str(info.value)


def test_matrix_over_a_dataframe_keeps_index_and_columns() -> None:
    engine = make_engine()
    df = pd.DataFrame({"review": ["great", "awful", "fine"], "stars": [5, 1, 3]}, index=list("abc"))
    result = engine.matrix_sync(MODELS, "Rate: {review}", df, concurrency=2)
    assert isinstance(result, MatrixResult)
    frame = result.to_dataframe()
    assert list(frame.index) == ["a", "b", "c"]
    assert list(frame.columns) == ["review", "stars", *MODELS]
    assert list(frame["stars"]) == [5, 1, 3]
    for row, review in enumerate(df["review"]):
        for model in MODELS:
            reply = result.reply(row, model)
            assert f"Rate: {review}" in reply.text  # the simulator echoes the prompt
            assert frame[model].iloc[row] == reply.text
    assert result.status == "done" and not result.errors
    assert len(result.replies) == 6


def test_matrix_over_a_series_and_a_list() -> None:
    engine = make_engine()
    s = pd.Series(["q1", "q2"], index=[7, 9], name="question")
    frame = engine.matrix_sync(MODELS[:1], "{question}", s).to_dataframe()
    assert list(frame.index) == [7, 9] and list(frame.columns) == ["question", MODELS[0]]
    frame = engine.matrix_sync(MODELS[:1], "{item}", ["x", "y"]).to_dataframe()
    assert list(frame.columns) == ["item", MODELS[0]] and list(frame["item"]) == ["x", "y"]


def test_one_run_id_on_every_cell_and_in_the_audit() -> None:
    engine = make_engine()
    result = engine.matrix_sync(MODELS, "{item}", ["x", "y"])
    assert result.run_id
    assert {r.run_id for r in result.replies.values()} == {result.run_id}
    engine.audit.flush()
    rows = engine.audit.to_dataframe(run=result.run_id, event="call")
    assert len(rows) == 4 and set(rows["run_id"]) == {result.run_id}


def test_a_failing_cell_does_not_stop_the_others_and_worsens_the_status() -> None:
    engine = make_engine()
    engine.simulator.script("bad_request", times=1)
    result = engine.matrix_sync(MODELS, "{item}", ["x", "y"], concurrency=1)
    assert result.status == "failed"
    assert len(result.errors) == 1 and len(result.replies) == 3
    (row, model), _error = next(iter(result.errors.items()))
    assert result.to_dataframe()[model].iloc[row].startswith("error: ")


def test_unknown_model_mode_and_cluster_fail_before_any_call() -> None:
    engine = make_engine()
    with pytest.raises(UnknownModelError):
        engine.matrix_sync(["gpt-4o", "no-such-model-xyz"], "{item}", ["x"])
    with pytest.raises(ConfigurationError, match="mode 'nope'"):
        engine.matrix_sync(MODELS, "{item}", ["x"], mode="nope")
    with pytest.raises(ConfigurationError, match="needs a name"):  # batch mode: issue 21
        engine.matrix_sync(MODELS, "{item}", ["x"], mode="batch")
    with pytest.raises(ConfigurationError, match="cluster must be 'local', a scheduler"):
        engine.matrix_sync(MODELS, "{item}", ["x"], cluster=42)
    with pytest.raises(ConfigurationError, match="concurrency"):
        engine.matrix_sync(MODELS, "{item}", ["x"], concurrency=0)
    assert engine.simulator.calls == 0


async def test_async_matrix_and_its_observer() -> None:
    engine = make_engine(audit=False)
    events = []
    result = await engine.matrix(MODELS, "{item}", ["x"], observer=events.append)
    assert [e.kind for e in events] == ["cell_start"] * 2 + ["cell_end"] * 2
    assert {e.model for e in events} == set(MODELS)
    assert result.totals()[MODELS[0]]["answers"] == 1
    assert "| **total** |" in result._repr_markdown_()


def test_a_misspelled_mode_names_batch_too() -> None:
    with pytest.raises(ConfigurationError, match="Did you mean 'batch'"):
        make_engine().matrix_sync(["gpt-4o"], "{item}", [1], mode="bacth")


def test_a_date_column_renders_as_pandas_shows_it_not_with_a_midnight_time() -> None:
    # Before: 'Rate ok on 2024-01-01 00:00:00', a time the data never had.
    df = pd.DataFrame(
        {
            "day": pd.to_datetime(["2024-01-01", "2024-02-01", None]),
            "at": pd.to_datetime(["2024-01-01 10:30", "2024-02-01 00:00", None]),
            "zoned": pd.to_datetime(["2024-01-01"] * 3).tz_localize("Europe/Paris"),
        }
    )
    made = matrix_prompts("{day}|{at}|{zoned}", df)
    assert made.prompts[0] == "2024-01-01|2024-01-01 10:30:00|2024-01-01 00:00:00+01:00"
    assert made.prompts[2].startswith("||")  # NaT stays missing
    assert made.missing == {"{day}": [2], "{at}": [2]}
    assert '"day": "2024-01-01"' in matrix_prompts("{item}", df).prompts[0]
    assert matrix_prompts("On {item}", df["day"]).prompts[:2] == ["On 2024-01-01", "On 2024-02-01"]
    assert df["day"].dtype.kind == "M"  # the user's frame is untouched
