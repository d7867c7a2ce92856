"""Provision a Superset instance: import the bundle, then roles, row-level security and, in
the demo only, the demo users. Runs INSIDE the Superset environment (``.venv/superset``),
started by ``cchc.bi.server`` as ``python -m cchc.bi.provision`` with ``src`` on PYTHONPATH;
it needs only Superset and this package's standard-library modules (+ PyYAML, babel).
It first installs the Vietnamese catalogue into the Superset package when stale
(``cchc.bi.translations``).

Everything is idempotent: the import overwrites objects with the same UUIDs (so a metadata
database from an earlier version gets the current, locked database URI), roles get their
permissions replaced, users their roles and passwords, RLS filters their clause.

With ``CCHC_ENV=production`` the demo users (public password) and the demo unit's role and
RLS filter are not created, and those an earlier demo run left in the metadata are retired:
the users deactivated and stripped of their roles, the role and filter deleted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from uuid import UUID

from cchc.bi import filter_defaults, translations
from cchc.bi.bundle import DATABASE_NAME, bundle_dashboards, bundle_datasets, database_uri, read_bundle, stable_uuid
from cchc.credentials import is_production, secret

ROLE_LEADERSHIP = "CCHC Lãnh đạo"
ROLE_ANALYST = "CCHC Phân tích"
ROLE_QUALITY = "CCHC Vận hành chất lượng dữ liệu"
UNIT_ROLE_PREFIX = "CCHC Đơn vị "
DEMO_UNIT_KEY = "2025:18073"  # Phường Thành Sen, the demo province's busiest commune
QUALITY_DATASETS = ("rpt_quality__validation_results", "rpt_quality__validation_runs", "rpt_quality__dbt_test_results")
# Every role may read them, whole (no row-level security): national survey results, the
# province's published best and worst units of the month (as its ranking notices publish
# them), and what the dashboards' filters and empty states list (periods, unit statuses,
# data availability: no unit's figures).
PUBLIC_DATASETS = ("rpt_papi", "rpt_unit_ranking_extremes", "rpt_reporting_periods", "rpt_unit_statuses",
                   "rpt_data_availability")


def unit_role_name(unit_key: str) -> str:
    return f"{UNIT_ROLE_PREFIX}{unit_key}"


def rls_name(unit_key: str) -> str:
    return f"CCHC RLS {unit_key}"


# username -> (first name, last name, roles): one user per role, demo only.
DEMO_USERS = {
    "lanhdao": ("Lãnh đạo", "UBND tỉnh", ["Gamma", ROLE_LEADERSHIP]),
    "donvi": ("Cán bộ", "Phường Thành Sen", ["Gamma", unit_role_name(DEMO_UNIT_KEY)]),
    "phantich": ("Chuyên viên", "phân tích", ["Gamma", "sql_lab", ROLE_ANALYST]),
    "chatluong": ("Cán bộ", "vận hành dữ liệu", ["Gamma", ROLE_QUALITY]),
}


def unit_keys(production: bool) -> list[str]:
    """Units with a role and an RLS filter: CCHC_SUPERSET_UNIT_KEYS, plus the demo unit
    outside production."""
    configured = json.loads(os.environ.get("CCHC_SUPERSET_UNIT_KEYS", "[]"))
    return sorted({*configured, *([] if production else [DEMO_UNIT_KEY])})


def import_bundle(bundle_dir: Path, serving_path: Path) -> None:
    from superset.commands.importers.v1.assets import ImportAssetsCommand

    contents = read_bundle(bundle_dir)
    db_file = next(k for k in contents if k.startswith("databases/"))
    import yaml

    database = yaml.safe_load(contents[db_file])
    database["sqlalchemy_uri"] = database_uri(serving_path)
    contents[db_file] = yaml.safe_dump(database, allow_unicode=True, sort_keys=False)
    ImportAssetsCommand(contents).run()


def _grant(role, perms) -> None:  # type: ignore[no-untyped-def]
    role.permissions = list(perms)


def ensure_admin(password: str):  # type: ignore[no-untyped-def]
    from superset import db
    from superset import security_manager as sm

    _ensure_user(sm, "admin", "Quản trị", "hệ thống", ["Admin"], password)
    db.session.commit()
    return sm.find_user(username="admin")


def provision_access(units: list[str], demo_password: str | None, bundle_dir: Path) -> None:
    """Roles and RLS for ``units``; the demo users with ``demo_password``, or, when it is
    None (production), the retirement of those an earlier demo run left."""
    from superset.connectors.sqla.models import RowLevelSecurityFilter, SqlaTable
    from superset.models.core import Database

    from superset import db
    from superset import security_manager as sm

    database = db.session.query(Database).filter_by(uuid=stable_uuid("database", DATABASE_NAME)).one()
    datasets = {t.table_name: t for t in db.session.query(SqlaTable).filter_by(database_id=database.id)}
    bundled = bundle_datasets(read_bundle(bundle_dir))
    missing = [d["name"] for d in bundled if d["name"] not in datasets]
    if missing:
        raise RuntimeError(f"bundle import did not create datasets: {', '.join(missing)}")

    def ds_perm(name: str):  # type: ignore[no-untyped-def]
        return sm.add_permission_view_menu("datasource_access", datasets[name].perm)

    def role(name: str):  # type: ignore[no-untyped-def]
        return sm.find_role(name) or sm.add_role(name)

    everything = {d["name"] for d in bundled}
    scoped = [datasets[d["name"]] for d in bundled if d["unit_scoped"] and d["name"] not in PUBLIC_DATASETS]
    # role -> the bundled datasets it reads (the analyst through the whole database)
    readable = {ROLE_LEADERSHIP: everything, ROLE_ANALYST: everything,
                ROLE_QUALITY: {*QUALITY_DATASETS, *PUBLIC_DATASETS},
                **{unit_role_name(u): {*(t.table_name for t in scoped), *PUBLIC_DATASETS} for u in units}}
    for name, reads in readable.items():
        _grant(role(name), [sm.add_permission_view_menu("database_access", database.perm)] if name == ROLE_ANALYST
               else [ds_perm(n) for n in sorted(reads)])
    _assign_dashboards(bundle_dashboards(read_bundle(bundle_dir)), {role(n): reads for n, reads in readable.items()})
    for unit_key in units:
        unit_role = role(unit_role_name(unit_key))
        name = rls_name(unit_key)
        rls = db.session.query(RowLevelSecurityFilter).filter_by(name=name).one_or_none()
        if rls is None:
            rls = RowLevelSecurityFilter(name=name)
            db.session.add(rls)
        rls.description = f"Người dùng của đơn vị {unit_key} chỉ thấy dòng của đơn vị mình"
        rls.filter_type = "Regular"
        rls.group_key = "unit"
        rls.clause = "unit_key = '{}'".format(unit_key.replace("'", "''"))
        rls.roles = [unit_role]
        rls.tables = scoped

    if demo_password is None:
        _retire_demo_access(units)
    else:
        for username, (first, last, roles) in DEMO_USERS.items():
            _ensure_user(sm, username, first, last, roles, demo_password)
    db.session.commit()


def grant_public_language_pack() -> None:
    """The Public role (anonymous visitors: the login page) may read Superset's language
    pack and nothing else; without it the login page's own text stays English, since the
    page fetches the pack from /superset/language_pack/<lang>/ before anyone logs in."""
    from superset import db
    from superset import security_manager as sm

    public = sm.find_role(sm.auth_role_public) or sm.add_role(sm.auth_role_public)
    _grant(public, [sm.add_permission_view_menu("can_language_pack", "Superset")])
    db.session.commit()


def withdraw_drill_menus() -> None:
    """Gamma (every reader's base role) loses `can_get_drill_info` on datasets: with it, a
    dashboard asks Superset for every dataset's drill menus (`drill_info`) while the charts
    load, which cost the leader's dashboards up to a second on the 2-core server (issue
    #15). The readers keep what they use: the charts, their filters, CSV export; analysts
    have SQL Lab. Run after `sync_role_definitions`, which gives the permission back."""
    from superset import db
    from superset import security_manager as sm

    gamma = sm.find_role("Gamma")
    gamma.permissions = [p for p in gamma.permissions
                         if (p.permission.name, p.view_menu.name) != ("can_get_drill_info", "Dataset")]
    db.session.commit()


def _assign_dashboards(dashboards: dict[str, set[str]], readable: dict) -> None:  # type: ignore[type-arg]
    """DASHBOARD_RBAC: a dashboard lists and opens for the roles that read every dataset it
    shows (Admin always), so no role opens one that would draw "Data error" boxes. Roles
    outside the CCHC ones (a Gamma-only user) see none."""
    from superset.models.dashboard import Dashboard

    from superset import db

    for dashboard in db.session.query(Dashboard).filter(Dashboard.uuid.in_([UUID(u) for u in dashboards])):
        needs = dashboards[str(dashboard.uuid)]
        dashboard.roles = [role for role, reads in readable.items() if needs <= reads]


def _retire_demo_access(units: list[str]) -> None:
    """Production on a metadata database an earlier demo run provisioned: its users share a
    public password. Deactivated rather than deleted (their queries and logs refer to
    them), and without roles, so reactivating one by mistake grants nothing."""
    from superset.connectors.sqla.models import RowLevelSecurityFilter

    from superset import db
    from superset import security_manager as sm

    for username in DEMO_USERS:
        user = sm.find_user(username=username)
        if user is not None and (user.active or user.roles):
            user.active = False
            user.roles = []
            print("retired demo user", username)
    if DEMO_UNIT_KEY in units:  # a real unit role the deployment asked for
        return
    # The filter and the role go together: the role without its filter would show a
    # holder every unit's rows.
    rls = db.session.query(RowLevelSecurityFilter).filter_by(name=rls_name(DEMO_UNIT_KEY)).one_or_none()
    if rls is not None:
        db.session.delete(rls)
        db.session.flush()  # its link to the role first: rls_filter_roles has no ON DELETE
    demo_role = sm.find_role(unit_role_name(DEMO_UNIT_KEY))
    if demo_role is not None:
        db.session.delete(demo_role)


def _ensure_user(sm, username, first, last, role_names, password) -> None:  # type: ignore[no-untyped-def]
    from werkzeug.security import generate_password_hash

    roles = [sm.find_role(r) for r in role_names]
    if None in roles:
        raise RuntimeError(f"missing role for {username}: {role_names}; did `superset init` run?")
    user = sm.find_user(username=username)
    if user is None:
        sm.add_user(username, first, last, f"{username}@cchc.local", roles, password)
    else:
        user.roles = roles
        user.password = generate_password_hash(password)
        user.active = True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Import the CCHC bundle and create roles, users and RLS")
    parser.add_argument("--bundle", required=True, type=Path)
    parser.add_argument("--serving", required=True, type=Path)
    parser.add_argument("--skip-access", action="store_true", help="only import the bundle")
    args = parser.parse_args(argv)

    # Before the app starts: the language pack is read from the package's folder, and a
    # Superset environment set up without bootstrap.sh would otherwise be English.
    translations.main(["install"])
    from superset.app import create_app
    from superset.utils.core import override_user

    app = create_app()
    with app.app_context():
        # `superset db upgrade` and `superset init` in this one process: each CLI call
        # would pay Superset's start-up (15-20 s on the 2-core machine) again.
        from flask_migrate import upgrade

        from superset import appbuilder, security_manager

        upgrade()
        appbuilder.add_permissions(update_perms=True)
        security_manager.sync_role_definitions()
        grant_public_language_pack()
        withdraw_drill_menus()
        admin = ensure_admin(secret("CCHC_SUPERSET_PASSWORD"))
        with override_user(admin):  # the import checks the acting user's permissions
            import_bundle(args.bundle, args.serving)
        print("filter defaults:", filter_defaults.apply_defaults())
        if not args.skip_access:
            production = is_production()
            provision_access(unit_keys(production),
                             None if production else secret("CCHC_SUPERSET_DEMO_PASSWORD"), args.bundle)
    print("provisioned", args.bundle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
