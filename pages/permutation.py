"""Permutation lab (Task 2): one fixed pixel permutation, and why it matters to a CNN only.

Tabs: the permutation on images (original, permuted, restored; the permutation as a picture;
class means against a per-image shuffle), the study (MLP and CNN on original and permuted
pixels through the run store, live while they train, the test table beside the report's),
noise or effect (k seeds, mean ± std of each difference, in words), and why (an MLP with its
first-layer rows permuted gives identical predictions; a CNN's filters on an image and on its
permuted version). Training and the probes run in worker processes; this page never imports
TensorFlow.
"""

from __future__ import annotations

import math
import time

import numpy as np
import streamlit as st

from pages import require_shell

require_shell()

from dlnn import history, registry, runner  # noqa: E402
from dlnn.config import ConfigError, RunConfig  # noqa: E402
from dlnn.permlab import explain, views  # noqa: E402
from dlnn.permlab import figures as perm_figures  # noqa: E402
from dlnn.permlab.results import (  # noqa: E402
    EFFECT_SPREADS,
    comparison_table,
    curve_histories,
    measured_table,
    model_kind,
    public_table,
    seed_table,
    status_table,
    summary_table,
)
from dlnn.permlab.study import (  # noqa: E402
    DEFAULT_SEEDS,
    MAX_SEEDS,
    QUICK_CHANGES,
    QUICK_SEEDS,
    REPORT_MODELS,
    STUDY_BASE,
    RunKey,
    StudyPlan,
    describe_base,
    start_study,
    study_plan,
    study_runs,
)
from dlnn.permutation import run_permutation  # noqa: E402
from dlnn.runs import ACTIVE, Run  # noqa: E402
from pages import components  # noqa: E402

K = "perm."  # widget key prefix
SETTINGS = {
    "quick": "Quick: 10,000 images, 3 epochs",
    "full": "Full: all 60,000 images, up to 30 epochs with early stopping",
    "custom": "Custom",
}
LIVE_SECONDS = 1.0
SHOWN_IMAGES = 8
SHOWN_FILTERS = 8
VERDICT_ICONS = {"effect": ":material/trending_down:", "noise": ":material/blur_on:",
                 "unclear": ":material/help:", "one seed": ":material/looks_one:",
                 "no runs": ":material/hourglass_empty:"}


def classification_datasets() -> list[str]:
    return [name for name, entry in registry.datasets().items()
            if entry.task == "classification"]


# -- see the permutation --------------------------------------------------------------------
def render_permutation() -> None:
    st.info("**One** permutation, drawn from the seed, moves the pixels of **every** image, "
            "train and test alike: pixel *i* of each permuted image is pixel *p(i)* of the "
            "original. Shuffling every image with a permutation of its own instead destroys "
            "the data (a known mistake): the class means at the bottom show the difference.",
            icon=":material/info:")
    columns = st.columns(3)
    dataset = columns[0].selectbox("Data set", classification_datasets(), key=K + "see.dataset")
    seed = components.field_widget(registry.field_named("seed"), K + "see.seed",
                                   container=columns[1])
    count = columns[2].slider("Images", 2, 12, SHOWN_IMAGES, key=K + "see.count")
    try:
        images, labels = components.test_set(dataset)
    except Exception as error:  # missing data must not take the page down
        st.error(f"**Data set**: {dataset} cannot be loaded: {error}", icon=":material/error:")
        return
    shape = images.shape[1:]
    permutation = permutation_of(dataset, int(seed), images)
    chosen = views.example_images(labels, count)
    names = class_names(dataset)
    original, permuted, restored = views.permutation_rows(images[chosen], permutation)
    st.plotly_chart(perm_figures.permutation_grid(
        original, permuted, restored, [names[label] for label in labels[chosen]],
        title=f"Test images of {dataset}: original, permuted (seed {seed}), restored by the "
              "inverse permutation"), key="perm_grid", width="stretch")
    st.plotly_chart(perm_figures.permutation_picture(
        permutation, shape, title="The permutation as a picture (hover a pixel: where it "
                                  "comes from)"), key="perm_picture", width="stretch")
    render_class_means(dataset, int(seed), names)


def class_names(dataset: str) -> list[str]:
    from dlnn.data import DATASETS

    return list(DATASETS[dataset].class_names)


@st.cache_data(show_spinner=False, max_entries=8)
def class_means(dataset: str, seed: int) -> dict[str, np.ndarray]:
    """The mean test image per class: original, permuted, restored, shuffled per image."""
    images, labels = components.test_set(dataset)
    return views.class_means(images, labels, permutation_of(dataset, seed, images), seed)


def permutation_of(dataset: str, seed: int, images: np.ndarray) -> np.ndarray:
    """The permutation a run on `dataset` with `seed` applies (the runs' own rule)."""
    return run_permutation(RunConfig(dataset=dataset, seed=seed, permute=True),
                           math.prod(images.shape[1:]))


def render_class_means(dataset: str, seed: int, names: list[str]) -> None:
    st.plotly_chart(perm_figures.class_means_grid(
        class_means(dataset, seed), names,
        title="The mean test image of each class: with one permutation the classes stay "
              "apart (and restore); shuffled per image only the amount of ink is left"),
        key="perm_means", width="stretch")
    images, _ = components.test_set(dataset)
    sample = images[:1000]
    permuted = views.permutation_rows(sample, permutation_of(dataset, seed, images))[1]
    cells = st.columns(2)
    cells[0].metric("Neighbouring pixels, correlation (original)",
                    f"{views.neighbour_correlation(sample):.2f}")
    cells[1].metric("Neighbouring pixels, correlation (permuted)",
                    f"{views.neighbour_correlation(permuted):.2f}",
                    help="What a 3x3 convolution relies on: a pixel tells something about its "
                         "neighbours. The permutation keeps every pixel but not who its "
                         "neighbours are.")


# -- the study ------------------------------------------------------------------------------
def study_controls() -> StudyPlan | None:
    """The plan the Study tab's controls describe (None, with the reason shown, if invalid)."""
    setting = st.radio("Setting", list(SETTINGS), format_func=SETTINGS.get, horizontal=True,
                       key=K + "setting")
    columns = st.columns([2, 1, 1])
    datasets = columns[0].multiselect("Data sets", classification_datasets(),
                                      default=list(REPORT_MODELS), key=K + "datasets")
    seeds = columns[1].number_input(
        "Seeds (k)", 1, MAX_SEEDS, QUICK_SEEDS if setting == "quick" else DEFAULT_SEEDS,
        key=K + f"seeds.{setting}", help="Every run is repeated with seeds first, first + 1, "
        "...; the Noise or effect tab shows the spread.")
    first_seed = components.field_widget(registry.field_named("seed"), K + "first_seed",
                                         container=columns[2])
    models: dict[str, list[str]] = {}
    model_columns = st.columns(max(len(datasets), 1))
    for column, dataset in zip(model_columns, datasets, strict=False):
        fitting = list(registry.models_for(dataset))
        models[dataset] = column.multiselect(
            f"Models on {dataset}", fitting, default=list(REPORT_MODELS.get(dataset, ())),
            key=K + f"models.{dataset}", help="The report: its MLP and its CNN; any model of "
            "the zoo can be added.")
    base = STUDY_BASE.replace(**QUICK_CHANGES) if setting == "quick" else STUDY_BASE
    if setting == "custom":
        base = custom_base()
    if not datasets:
        st.error("**Data sets**: choose at least one data set.", icon=":material/error:")
        return None
    for dataset, chosen in models.items():
        if not chosen:
            st.error(f"**Models on {dataset}**: choose at least one model.",
                     icon=":material/error:")
            return None
    try:
        return study_plan(seeds=int(seeds), models=models, base=base,
                          first_seed=int(first_seed))
    except ConfigError as error:
        st.error(f"**{error.field}**: {error.reason}", icon=":material/error:")
        return None


def custom_base() -> RunConfig:
    """The study's configuration with the fields a class most often changes."""
    columns = st.columns(4)
    values = {}
    for column, name in zip(columns, ("subset", "epochs", "batch_size", "patience"),
                            strict=True):
        key = K + f"custom.{name}"
        st.session_state.setdefault(key, getattr(STUDY_BASE.replace(**QUICK_CHANGES), name))
        values[name] = components.field_widget(registry.field_named(name), key,
                                               container=column)
    return STUDY_BASE.replace(**{name: None if value is None else int(value)
                                 for name, value in values.items()})


def render_study(plan: StudyPlan) -> None:
    st.caption(f"Shared by every run: {describe_base(plan.base)}. Data set, model, permuted "
               "pixels and seed change from run to run; a run's permutation is drawn from its "
               "seed, so the original and the permuted run of a seed share weights, shuffling "
               "and subset.")
    runs = study_runs(plan, components.run_store())
    statuses = [run.status if run is not None else "missing" for run in runs.values()]
    if any(status in ACTIVE for status in statuses):
        render_live_study(plan)
        return
    missing = [key for key, status in zip(runs, statuses, strict=True) if status != "finished"]
    if missing:
        st.button(f"Train the {len(missing)} missing runs of {len(runs)} (one worker, in turn)",
                  type="primary", icon=":material/play_arrow:", key=K + "start",
                  on_click=start_study, args=(plan, components.run_store()))
    else:
        st.success(f"All {len(runs)} runs of this study are in the run store.",
                   icon=":material/check_circle:")
    render_results(plan, runs)
    with st.expander("Measured on the project's 2-core machine: the full study, 3 seeds"):
        st.caption("`python -m dlnn reproduce task2`: all 60,000 images, up to 30 epochs with "
                   "early stopping, seeds 0-2, 63 minutes (docs/benchmarks.md). The Fashion "
                   "MLP's 'unclear' becomes noise with 10 seeds: -0.0033 ± 0.0068.")
        st.dataframe(measured_table(), hide_index=True, width="stretch",
                     column_config=_number_columns())


@st.fragment(run_every=LIVE_SECONDS)
def render_live_study(plan: StudyPlan) -> None:
    """Progress of the study's worker, its live curves, and a Stop for all of it."""
    runs = study_runs(plan, components.run_store())
    active = [(key, run) for key, run in runs.items() if run is not None and run.status in ACTIVE]
    if not active:
        st.rerun(scope="app")
    done = sum(run is not None and run.status == "finished" for run in runs.values())
    running = next(((key, run) for key, run in active if run.status == "running"), active[0])
    progress = history.progress(running[1].events(), now=time.time())
    header, stop = st.columns([5, 1], vertical_alignment="center")
    header.markdown(f"{components.status_badge('running')} · {done} of {len(runs)} runs "
                    f"finished · now **{running[0].label}**")
    if stop.button("Stop the study", icon=":material/stop:", key=K + "stop", width="stretch"):
        for _, run in active:
            runner.stop_run(run)
        st.rerun(scope="app")
    st.progress(min(1.0, (done + progress.fraction) / len(runs)),
                text=components.progress_text(progress))
    st.plotly_chart(perm_figures.curve_panels(
        curve_histories(plan, runs, running[0].seed), "accuracy",
        f"Training accuracy per epoch (seed {running[0].seed}), live"),
        key="perm_live_curves", width="stretch")
    st.dataframe(status_table(runs), hide_index=True, width="stretch")


def render_results(plan: StudyPlan, runs: dict[RunKey, Run | None]) -> None:
    seeds = seed_table(plan, runs)
    if seeds[["original", "permuted"]].isna().all().all():
        st.info("No finished run of this study yet.", icon=":material/info:")
        return
    st.markdown("**Test accuracy** (mean over the seeds where both runs finished; "
                "difference = permuted − original) beside the report's")
    st.dataframe(comparison_table(summary_table(seeds)), hide_index=True, width="stretch",
                 column_config=_number_columns())
    st.caption("Public re-implementations of the assignment (SPEC.md):")
    st.dataframe(public_table(), hide_index=True, width="stretch",
                 column_config=_number_columns())
    seed = plan.seeds[0]
    if len(plan.seeds) > 1:
        seed = st.selectbox("Curves of seed", plan.seeds, key=K + "curve_seed")
    histories = curve_histories(plan, runs, seed)
    st.plotly_chart(perm_figures.curve_panels(
        histories, "accuracy", "Training accuracy per epoch (the report's Figures 4 and 5)"),
        key="perm_train_curves", width="stretch")
    st.plotly_chart(perm_figures.curve_panels(
        histories, "val_accuracy", "Validation accuracy per epoch"),
        key="perm_val_curves", width="stretch")
    with st.expander("Every run of the study"):
        st.dataframe(status_table(runs), hide_index=True, width="stretch")


def _number_columns() -> dict:
    names = ("original", "permuted", "difference", "± (std of difference)", "difference_std",
             "report original", "report permuted", "report difference")
    return {name: st.column_config.NumberColumn(format="%.4f") for name in names}


# -- noise or effect ------------------------------------------------------------------------
def render_noise(plan: StudyPlan) -> None:
    runs = study_runs(plan, components.run_store())
    seeds = seed_table(plan, runs)
    summary = summary_table(seeds)
    st.markdown(f"Each pair of runs shares its seed (weights, shuffling, subset and "
                f"permutation), so each seed gives one difference. The rule: a mean "
                f"difference more than {EFFECT_SPREADS:g} standard deviations from zero is an "
                "effect of the permutation; one within one standard deviation is noise.")
    statuses = [run.status if run is not None else "missing" for run in runs.values()]
    missing = sum(status != "finished" for status in statuses)
    if any(status in ACTIVE for status in statuses):
        st.info("The study is training (Study tab); this tab shows the runs finished so far.",
                icon=":material/hourglass_top:")
    elif len(plan.seeds) == 1:
        st.info(f"This study has one seed, so no spread. Repeat it with {DEFAULT_SEEDS} "
                "seeds to tell noise from effect.", icon=":material/info:")
        st.button(f"Repeat with {DEFAULT_SEEDS} seeds", icon=":material/queue:",
                  key=K + "more_seeds", on_click=use_more_seeds, args=(plan,))
    elif missing:
        st.button(f"Train the {missing} missing runs of the {len(plan.seeds)} seeds",
                  icon=":material/queue:", key=K + "noise_start", on_click=start_study,
                  args=(plan, components.run_store()))
    for row in summary.itertuples(index=False):
        st.markdown(f"{VERDICT_ICONS.get(row.verdict, '')} {row.sentence}")
    st.plotly_chart(perm_figures.difference_figure(
        seeds, summary, "Permuted − original test accuracy: each seed, mean ± std, the "
                        "report's"), key="perm_differences", width="stretch")
    shown = summary[["dataset", "model", "seeds", "original", "original_std", "permuted",
                     "permuted_std", "difference", "difference_std", "verdict"]]
    st.dataframe(shown, hide_index=True, width="stretch", column_config={
        name: st.column_config.NumberColumn(format="%.4f") for name in shown.columns
        if name.startswith(("original", "permuted", "difference"))})


def use_more_seeds(plan: StudyPlan) -> None:
    """Button callback: set k to the default and queue the study's missing runs."""
    setting = st.session_state.get(K + "setting", "quick")
    st.session_state[K + f"seeds.{setting}"] = DEFAULT_SEEDS
    start_study(study_plan(seeds=DEFAULT_SEEDS, models=_models(plan), base=plan.base,
                           first_seed=plan.seeds[0]), components.run_store())


def _models(plan: StudyPlan) -> dict[str, list[str]]:
    models: dict[str, list[str]] = {}
    for dataset, model in plan.cells:
        models.setdefault(dataset, []).append(model)
    return models


# -- why ------------------------------------------------------------------------------------
def finished_original(plan: StudyPlan, kind: str) -> list[tuple[RunKey, Run]]:
    """The plan's finished runs of `kind` (mlp or cnn) trained on original pixels."""
    runs = study_runs(plan, components.run_store())
    return [(key, run) for key, run in runs.items() if not key.permuted and run is not None
            and run.status == "finished" and model_kind(key.model) == kind]


def pick_run(plan: StudyPlan, kind: str, label: str) -> Run | None:
    found = finished_original(plan, kind)
    if not found:
        st.info(f"No finished {kind.upper()} of this study trained on original pixels yet: "
                "train the study first (Study tab).", icon=":material/info:")
        return None
    chosen = st.selectbox(label, found, format_func=lambda item: item[0].label,
                          key=K + f"why.{kind}")
    return chosen[1]


def render_why(plan: StudyPlan) -> None:
    st.markdown("#### An MLP does not see the permutation")
    st.markdown(
        "The first Dense layer computes $h = xW$: every pixel $x_i$ has its own row $W_i$, and "
        "the order of the rows is arbitrary. Feed it permuted pixels $x'_i = x_{p(i)}$ and "
        "permute the rows the same way, $W'_i = W_{p(i)}$: then $x'W' = \\sum_i x_{p(i)} "
        "W_{p(i)} = xW$. Training on permuted pixels can simply find $W'$; the difference "
        "between the two MLPs is the noise of training, nothing more.")
    run = pick_run(plan, "mlp", "MLP trained on original pixels")
    if run is not None:
        render_invariance(run)
    st.markdown("#### A CNN does")
    st.markdown(
        "A convolution slides small filters over **neighbouring** pixels: edges and strokes. "
        "After the permutation a pixel's neighbours come from anywhere in the image, so the "
        "same filters answer with noise, and only the Dense layers after them can learn "
        "(a one-layer CNN such as the report's keeps most of its accuracy that way).")
    run = pick_run(plan, "cnn", "CNN trained on original pixels")
    if run is not None:
        render_feature_maps(run)


def render_invariance(run: Run) -> None:
    answer = explain.cached_invariance(run)
    if answer is None:
        if not st.button("Permute its first-layer rows and compare (a worker process, ~10 s)",
                         icon=":material/calculate:", key=K + "invariance"):
            return
        with st.spinner("Loading the model and the test set in a worker process..."):
            try:
                explain.mlp_invariance(run)
            except (explain.ExplainError, OSError) as error:
                st.error(f"**Invariance**: {error}", icon=":material/error:")
                return
        st.rerun()  # drawn from the file now kept in the run's folder
    cells = st.columns(3)
    cells[0].metric("Original weights, original images", f"{answer['accuracy_original']:.4f}")
    cells[1].metric("Original weights, permuted images",
                    f"{answer['accuracy_permuted_same_weights']:.4f}",
                    help="The trained network does not recognise permuted images as they are.")
    cells[2].metric("Rows permuted, permuted images", f"{answer['accuracy_permuted_rows']:.4f}")
    st.success(f"Identical predictions on all {answer['images']:,} test images: the largest "
               f"difference of any class probability is "
               f"{answer['max_probability_difference']:.1e} (float32 rounding), "
               f"{answer['predictions_changed']} predicted classes changed.",
               icon=":material/check_circle:")


def render_feature_maps(run: Run) -> None:
    columns = st.columns(2)
    image = columns[0].number_input("Test image", 0, 9_999, 0, key=K + "why.image")
    count = columns[1].slider("Filters shown", 2, 16, SHOWN_FILTERS, key=K + "why.filters")
    maps = explain.cached_maps(run, int(image))
    if maps is None:
        if not st.button("Compute its filters and feature maps (a worker process, ~10 s)",
                         icon=":material/calculate:", key=K + "maps"):
            return
        with st.spinner("Running the first layer in a worker process..."):
            try:
                explain.cnn_feature_maps(run, int(image))
            except (explain.ExplainError, OSError) as error:
                st.error(f"**Test image**: {error}", icon=":material/error:")
                return
        st.rerun()  # drawn from the file now kept in the run's folder
    shown = slice(0, count)
    st.plotly_chart(perm_figures.feature_maps(
        maps["filters"][shown], maps["image"], maps["permuted_image"],
        maps["maps_original"][shown], maps["maps_permuted"][shown],
        title=f"First-layer filters of {run.config.model} and their feature maps on test image "
              f"{image} (middle) and on the same image permuted (bottom)"),
        key="perm_maps", width="stretch")
    cells = st.columns(2)
    cells[0].metric("Neighbouring pixels, correlation (this image)",
                    f"{views.neighbour_correlation(maps['image']):.2f}")
    permuted = views.neighbour_correlation(maps["permuted_image"])
    cells[1].metric("The same, permuted", f"{permuted:.2f}")


def main() -> None:
    runner.keep_worker_ready()  # a warm worker makes the study begin at once
    st.title("Permutation lab")
    st.caption("Task 2: every image's pixels reordered by one fixed random permutation. An "
               "MLP learns as well as before; a CNN loses the neighbourhoods its filters "
               "read. See it on images, train the report's study, tell noise from effect, "
               "and open the networks to see why.")
    tabs = st.tabs(["See the permutation", "Study", "Noise or effect?", "Why"])
    with tabs[0]:
        render_permutation()
    with tabs[1]:
        plan = study_controls()
        if plan is not None:
            render_study(plan)
    for tab, render in ((tabs[2], render_noise), (tabs[3], render_why)):
        with tab:
            if plan is None:
                st.info("Fix the Study tab's settings first.", icon=":material/info:")
            else:
                render(plan)


main()
