"""What an analyst would otherwise do: the dossier KPIs of Decision 766 computed with
pandas from the same Parquet files, one province's files at a time (a whole national
year does not fit a pandas frame on a 24 GiB machine). Same definitions as
marts.mart_dossier_kpis: latest version per dossier, flows per unit × field × month and
year, open and overdue stocks at month boundaries, rates in percent."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq

WAITING = ["supplement_requested_at", "supplement_received_at", "suspended_at", "resumed_at"]
COLUMNS = ["dossier_id", "unit_key", "procedure_code", "channel", "received_at", "due_at", *WAITING, "finished_at",
           "rejected_at", "withdrawn_at", "apology_letter_at", "paid_online_at", "updated_at",
           "input_digitised", "reused_digitised_data", "output_digitised", "_extracted_at"]
TIMES = ["received_at", "due_at", *WAITING, "finished_at", "rejected_at", "withdrawn_at", "apology_letter_at", "updated_at"]


def _local(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, utc=True, format="ISO8601").dt.tz_convert("Asia/Ho_Chi_Minh").dt.tz_localize(None)


def province_kpis(frames: list[pd.DataFrame], procedures: pd.DataFrame) -> pd.DataFrame:
    df = pd.concat(frames, ignore_index=True)
    for col in TIMES:
        df[col] = _local(df[col])
    df = df.sort_values(["dossier_id", "updated_at", "_extracted_at"]).drop_duplicates("dossier_id", keep="last")
    df = df.merge(procedures, on="procedure_code", how="left")
    df["is_fee_bearing"] = df["is_fee_bearing"].fillna(False).astype(bool)
    df["closed_at"] = df["finished_at"].fillna(df["rejected_at"]).fillna(df["withdrawn_at"])
    as_of = df["_extracted_at"].max()

    fin = df["finished_at"].notna()
    events = []
    received = pd.DataFrame({
        "unit_key": df["unit_key"], "field_code": df["field_code"], "event_date": df["received_at"].dt.normalize(),
        "received_total": 1, "received_in_person": (df["channel"] == "truc_tiep").astype(int),
        "received_toan_trinh": (df["channel"] == "truc_tuyen_toan_trinh").astype(int),
        "received_mot_phan": (df["channel"] == "truc_tuyen_mot_phan").astype(int),
        "received_bcci": (df["channel"] == "bcci").astype(int),
        "input_digitised": df["input_digitised"].astype(int), "reused_digitised_data": df["reused_digitised_data"].astype(int),
        "fee_bearing_received": df["is_fee_bearing"].astype(int),
        "paid_online": (df["is_fee_bearing"] & df["paid_online_at"].notna()).astype(int)})
    events.append(received)
    f = df[fin]
    # the due day counts whole (dbt var due_day_counts_whole_day, default true)
    finished_day, due_day = f["finished_at"].dt.normalize(), f["due_at"].dt.normalize()
    events.append(pd.DataFrame({
        "unit_key": f["unit_key"], "field_code": f["field_code"], "event_date": finished_day,
        "finished_total": 1, "finished_early": (finished_day < due_day).astype(int),
        "finished_on_time": (finished_day == due_day).astype(int),
        "finished_late": (finished_day > due_day).astype(int),
        "output_digitised": f["output_digitised"].fillna(False).astype(int)}))
    for col, name in [("rejected_at", "rejected"), ("withdrawn_at", "withdrawn"), ("apology_letter_at", "apology_letters")]:
        e = df[df[col].notna()]
        events.append(pd.DataFrame({"unit_key": e["unit_key"], "field_code": e["field_code"],
                                    "event_date": e[col].dt.normalize(), name: 1}))
    ev = pd.concat(events, ignore_index=True).fillna(0)
    flows = []
    for grain, freq in [("month", "MS"), ("year", "YS")]:
        ev["period_start"] = ev["event_date"].dt.to_period(freq[0]).dt.start_time
        g = ev.drop(columns="event_date").groupby(["unit_key", "field_code", "period_start"], dropna=False).sum().reset_index()
        g["period_type"] = grain
        flows.append(g)
    flows = pd.concat(flows, ignore_index=True)

    # stocks: one pass per month boundary, as an analyst would write it
    first = df["received_at"].min().to_period("M").start_time + pd.offsets.MonthBegin(1)
    last = as_of.to_period("Y").start_time + pd.offsets.YearBegin(1)
    stocks = []
    for boundary in pd.date_range(first, last, freq="MS"):
        measured = min(boundary, as_of)
        open_ = df[(df["received_at"] < measured) & (df["closed_at"].isna() | (df["closed_at"] >= measured))]
        # overdue: past due and not waiting for the applicant's papers nor suspended (dbt macro dossier_is_overdue)
        waiting = (((open_["supplement_requested_at"] <= measured)
                    & ~(open_["supplement_received_at"] <= measured))
                   | ((open_["suspended_at"] <= measured) & ~(open_["resumed_at"] <= measured)))
        s = open_.assign(overdue=((open_["due_at"] < measured) & ~waiting).astype(int)).groupby(
            ["unit_key", "field_code"], dropna=False).agg(open_dossiers=("dossier_id", "size"), overdue_dossiers=("overdue", "sum"))
        stocks.append(s.reset_index().assign(boundary_date=boundary))
    stocks = pd.concat(stocks, ignore_index=True) if stocks else pd.DataFrame(
        columns=["unit_key", "field_code", "open_dossiers", "overdue_dossiers", "boundary_date"])

    flows["period_end"] = [p + (pd.offsets.MonthBegin(1) if t == "month" else pd.offsets.YearBegin(1))
                           for p, t in zip(flows["period_start"], flows["period_type"])]
    kpis = flows[flows["period_start"] <= as_of].merge(
        stocks.rename(columns={"boundary_date": "period_start", "open_dossiers": "carried_over"})[
            ["unit_key", "field_code", "period_start", "carried_over"]], how="left",
        on=["unit_key", "field_code", "period_start"]).merge(
        stocks.rename(columns={"boundary_date": "period_end", "open_dossiers": "in_progress_at_end",
                               "overdue_dossiers": "in_progress_overdue_at_end"}), how="left",
        on=["unit_key", "field_code", "period_end"]).fillna({"carried_over": 0, "in_progress_at_end": 0,
                                                            "in_progress_overdue_at_end": 0})

    def pct(num, den):
        return 100.0 * num / den.where(den != 0)
    kpis["on_time_rate_a"] = pct(kpis["finished_early"] + kpis["finished_on_time"], kpis["finished_total"])
    kpis["on_time_rate_b"] = 100.0 - pct(kpis["finished_late"] + kpis["in_progress_overdue_at_end"],
                                         kpis["received_total"] + kpis["carried_over"])
    kpis["online_share"] = pct(kpis["received_toan_trinh"] + kpis["received_mot_phan"], kpis["received_total"])
    kpis["input_digitisation_rate"] = pct(kpis["input_digitised"], kpis["received_total"])
    kpis["reuse_rate"] = pct(kpis["reused_digitised_data"], kpis["received_total"])
    kpis["output_digitisation_rate"] = pct(kpis["output_digitised"], kpis["finished_total"])
    kpis["online_payment_rate"] = pct(kpis["paid_online"], kpis["fee_bearing_received"])
    return kpis


def dossier_kpis_pandas(parquet_dirs: list[Path], reference_db: Path,
                        provinces: list[str] | None = None) -> tuple[pd.DataFrame, int]:
    """KPIs of every province folder (`province_code=<code>`) found under the first
    directory, each province read from all the directories (history + night)."""
    con = duckdb.connect(str(reference_db), read_only=True)
    procedures = con.execute(
        f'select procedure_code, field_code, is_fee_bearing, online_form from "{reference_db.stem}".reference.procedures').df()
    con.close()
    folders = sorted(p.name for p in parquet_dirs[0].glob("province_code=*"))
    if provinces is not None:
        folders = [f for f in folders if f.split("=", 1)[1].lstrip("0") in {p.lstrip("0") for p in provinces}]
    results, rows = [], 0
    for folder in folders:
        frames = [pq.read_table(d / folder, columns=COLUMNS).to_pandas() for d in parquet_dirs if (d / folder).exists()]
        rows += sum(len(f) for f in frames)
        results.append(province_kpis(frames, procedures))
    return (pd.concat(results, ignore_index=True) if results else pd.DataFrame()), rows
