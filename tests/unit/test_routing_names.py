"""Names, aliases, inference, suggestions; the catalogue and cost arithmetic."""

from __future__ import annotations

import json

import pytest

from orchestration_kernel.errors import ConfigurationError, UnknownModelError
from orchestration_kernel.models import Usage
from orchestration_kernel.routing import Catalogue, ModelInfo, ModelRef, Resolver


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load()


@pytest.fixture
def resolver(catalogue: Catalogue) -> Resolver:
    return Resolver(catalogue)


def test_a_catalogued_name_runs_that_model_not_an_alias(resolver, catalogue):
    # The shipped table maps "gpt-4" to gpt-4o, but gpt-4 is a model of its own, still
    # served: benchmarking "gpt-4" must measure gpt-4.
    how = resolver.explain("gpt-4")
    assert how.ref == ModelRef("openai", "gpt-4") and how.how != "alias"
    assert catalogue.aliases["gpt-4"] == "openai:gpt-4o"  # the table still lists it
    own = Catalogue.load({"models": {"openai:gpt-4": {"retired": True}}})
    assert Resolver(own).explain("gpt-4").ref == ModelRef("openai", "gpt-4o")


@pytest.mark.parametrize("name", ["claude-3", "gemini-pro"])
def test_seed_names_resolve_through_aliases_to_catalogue_models(resolver, catalogue, name):
    how = resolver.explain(name)
    assert how.how == "alias"
    assert how.in_catalogue
    assert catalogue.get(how.ref) is not None
    assert not catalogue.get(how.ref).deprecated


@pytest.mark.parametrize(
    ("name", "provider"),
    [
        ("gpt-4o-mini", "openai"),
        ("o3", "openai"),
        ("o4-mini", "openai"),
        ("chatgpt-4o-latest", "openai"),
        ("claude-haiku-4-5", "anthropic"),
        ("gemini-2.5-flash", "gemini"),
        ("sonar-pro", "perplexity"),
        ("sonar", "perplexity"),
    ],
)
def test_bare_names_infer_their_vendor(resolver, name, provider):
    ref = resolver.resolve(name)
    assert ref == ModelRef(provider, name)
    assert resolver.explain(name).how == "inferred"


def test_explicit_names_bypass_aliases(resolver):
    assert resolver.resolve("openai:gpt-4") == ModelRef("openai", "gpt-4")
    assert resolver.resolve("anthropic:claude-sonnet-4-5").provider == "anthropic"
    assert resolver.resolve("google:gemini-2.5-pro").provider == "gemini"
    assert resolver.resolve("sim:anything-at-all") == ModelRef("sim", "anything-at-all")
    assert resolver.resolve("local:smollm2") == ModelRef("local", "smollm2")
    assert str(resolver.resolve("perplexity:sonar")) == "perplexity:sonar"
    assert resolver.resolve(ModelRef("openai", "x")) == ModelRef("openai", "x")


def test_typo_suggests_the_nearest_known_names(resolver):
    with pytest.raises(UnknownModelError) as info:
        resolver.resolve("claud-3")
    assert "claude-3" in info.value.suggestions
    assert "claude-3" in str(info.value)
    with pytest.raises(UnknownModelError) as info:
        resolver.resolve("gpt4")
    assert "gpt-4" in info.value.suggestions


def test_pool_names_take_part_in_suggestions(resolver):
    with pytest.raises(UnknownModelError) as info:
        resolver.resolve("fasst", also_known=["fast"])
    assert info.value.suggestions[0] == "fast"


def test_unknown_provider_prefix_says_how_to_add_it(resolver):
    with pytest.raises(UnknownModelError, match="not configured"):
        resolver.resolve("ollama:llama3")
    resolver.add_provider("ollama")
    assert resolver.resolve("ollama:llama3:8b") == ModelRef("ollama", "llama3:8b")
    with pytest.raises(ConfigurationError):
        resolver.add_provider("Bad Name!")


def test_a_provider_name_or_a_bare_unknown_name_says_how_to_write_it(resolver):
    resolver.add_provider("local")
    with pytest.raises(UnknownModelError, match=r"'local' is a provider: .* local:smollm2"):
        resolver.resolve("local")
    # No near name to offer: how to name a model, and where a local server's goes.
    with pytest.raises(UnknownModelError, match=r"PROVIDER:MODEL .* 'ollama:llama3'"):
        resolver.resolve("llama3")
    with pytest.raises(UnknownModelError) as near:
        resolver.resolve("gpt4o")
    assert near.value.suggestions and "PROVIDER:MODEL" not in str(near.value)


def test_user_aliases_extend_and_override(catalogue):
    resolver = Resolver(catalogue, aliases={"gpt-4": "openai:gpt-4.1"})
    assert resolver.resolve("gpt-4") == ModelRef("openai", "gpt-4.1")
    assert resolver.add_alias("writer", "claude-3") == resolver.resolve("claude-3")
    assert resolver.resolve("Writer") == resolver.resolve("claude-3")
    assert resolver.explain("writer").alias_chain == ("writer", "claude-3")
    with pytest.raises(UnknownModelError):
        resolver.add_alias("broken", "no-such-model")
    with pytest.raises(ConfigurationError):
        resolver.add_alias("a:b", "gpt-4")
    resolver.remove_alias("writer")
    with pytest.raises(UnknownModelError):
        resolver.resolve("writer")


def test_alias_loops_are_reported(catalogue):
    resolver = Resolver(catalogue, aliases={"a": "b", "b": "a"})
    with pytest.raises(ConfigurationError, match="loop"):
        resolver.resolve("a")


def test_model_ref_parse_rejects_bare_names():
    assert ModelRef.parse("openai:gpt-4o") == ModelRef("openai", "gpt-4o")
    with pytest.raises(ConfigurationError):
        ModelRef.parse("gpt-4o")


def test_every_catalogue_entry_carries_its_provenance(catalogue):
    for info in catalogue:
        assert info.as_of and info.source, info.id
        assert info.context_window is None or info.context_window > 0
    assert len(catalogue.ids()) >= 20
    vendors = {catalogue.get(i).provider for i in catalogue.ids()}
    assert {"openai", "anthropic", "gemini", "perplexity"} <= vendors


def test_cost_is_none_when_price_is_unknown(catalogue):
    usage = Usage(input_tokens=100, output_tokens=100)
    assert catalogue.cost("ollama:llama3", usage) is None
    assert catalogue.cost("openai:gpt-4o", None) is None
    cat = Catalogue.load({"acme:mystery": {"context_window": 1000}})
    assert cat.cost("acme:mystery", usage) is None
    assert cat.cost("acme:mystery", Usage()) is None
    half = Catalogue.load({"acme:half": {"input_price": 1.0}})
    assert half.cost("acme:half", Usage(input_tokens=10)) == pytest.approx(10 / 1e6)
    assert half.cost("acme:half", Usage(input_tokens=10, output_tokens=1)) is None


def test_simulator_is_free_and_labelled(catalogue):
    info = catalogue.get("sim:echo")
    assert info is not None and info.simulated and info.id == "sim:echo"
    assert catalogue.cost("sim:echo", Usage(input_tokens=999, output_tokens=999)) == 0.0


def test_cached_and_reasoning_tokens_use_their_prices():
    cat = Catalogue.load(
        {
            "acme:m": {
                "input_price": 10.0,
                "output_price": 20.0,
                "cached_input_price": 1.0,
                "reasoning_price": 40.0,
            },
            "acme:plain": {"input_price": 10.0, "output_price": 20.0},
        }
    )
    plain = cat.cost("acme:m", Usage(input_tokens=1000, output_tokens=1000))
    cached = cat.cost(
        "acme:m", Usage(input_tokens=1000, output_tokens=1000, cached_input_tokens=500)
    )
    assert cached < plain
    assert cached == pytest.approx(plain - 500 * (10.0 - 1.0) / 1e6)
    thinking = cat.cost(
        "acme:m", Usage(input_tokens=1000, output_tokens=1000, reasoning_tokens=400)
    )
    assert thinking == pytest.approx(plain + 400 * (40.0 - 20.0) / 1e6)
    # without separate prices, cached bills as input and reasoning as output
    usage = Usage(
        input_tokens=1000, output_tokens=1000, cached_input_tokens=500, reasoning_tokens=9
    )
    assert cat.cost("acme:plain", usage) == cat.cost(
        "acme:plain", Usage(input_tokens=1000, output_tokens=1000)
    )


def test_price_tiers_and_request_fees(catalogue):
    pro = catalogue.get("gemini:gemini-2.5-pro")
    small = pro.estimate_cost(100_000, 0) / 100_000
    large = pro.estimate_cost(300_000, 0) / 300_000
    assert large > small
    sonar = catalogue.get("perplexity:sonar")
    assert sonar.estimate_cost(0, 0) == pytest.approx(sonar.request_fee)


def test_overrides_merge_fields_and_add_entries(tmp_path):
    path = tmp_path / "prices.json"
    path.write_text(
        json.dumps(
            {
                "models": {
                    "openai:gpt-4o": {"input_price": 1.0},
                    "ollama:*": {"input_price": 0, "output_price": 0},
                },
                "aliases": {"house": "openai:gpt-4o"},
            }
        )
    )
    base = Catalogue.load()
    cat = Catalogue.load(path)
    assert cat.get("openai:gpt-4o").input_price == 1.0
    assert cat.get("openai:gpt-4o").output_price == base.get("openai:gpt-4o").output_price
    assert cat.cost("ollama:llama3", Usage(input_tokens=5, output_tokens=5)) == 0.0
    assert Resolver(cat).resolve("house") == ModelRef("openai", "gpt-4o")
    assert "ollama:llama3" in cat and "nobody:x" not in cat


def test_bad_catalogue_entries_are_configuration_errors(tmp_path):
    with pytest.raises(ConfigurationError, match="acme:x"):
        Catalogue.load({"acme:x": {"context_window": "huge"}})
    with pytest.raises(ConfigurationError):
        Catalogue.load(tmp_path / "missing.yaml")
    with pytest.raises(ConfigurationError):
        Catalogue.load(tmp_path / "prices.ini")
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(ConfigurationError, match="not valid json"):
        Catalogue.load(bad)
    listed = tmp_path / "list.yaml"
    listed.write_text("- a\n- b\n")
    with pytest.raises(ConfigurationError, match="mapping"):
        Catalogue.load(listed)


def test_add_entry_in_code():
    cat = Catalogue.load()
    info = cat.add({"input_price": 1, "output_price": 2}, "acme:new")
    assert isinstance(info, ModelInfo) and cat.get("acme:new") == info
    assert info.provider == "acme" and info.model == "new"
    with pytest.raises(ConfigurationError):
        cat.add({"input_price": 1}, "no-colon")
