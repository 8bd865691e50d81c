"""The README.txt of an inspection pack: what is inside and how to check it, in words."""

from textwrap import dedent


def readme_text(*, cycle, facts: dict, audit_total: int, report, built_by: str) -> str:
    if report is None:
        report_words = "No report had been compiled on this cycle when the pack was built."
    else:
        report_words = (
            f"report/report.pdf, report/data.json and report/audits.csv: version "
            f"{report.version} of the assurance report, report hash {report.report_hash}."
        )
    return dedent(
        f"""\
        Inspection pack: {cycle.name} ({cycle.period_start:%d %B %Y} to {cycle.period_end:%d %B %Y})
        Built by {built_by} with CaseAssure.

        WHAT IS INSIDE

        sampling/        How the sample was drawn, and everything needed to check it.
          record.json      The draw: frame hash, seed and its parts, plan, strata,
                           and the check CaseAssure made when this pack was built.
          {facts["frame_file"]}   The frame: every case that could be drawn (gzip CSV).
          {facts["exclusions_file"]}   The cases left out of the frame, with the reason.
          {facts["sample_file"]}   Every rank drawn (replaced cases included).
          verify_sample.py The stand-alone check (Python 3, standard library only).
          recheck.txt      The command that runs it.
        audits/          One JSON file per audit ({audit_total} in all): the answers and
                         grades, every moderation, escalations and the reconciliation
                         of a double audit. audits.csv has one row per audit.
        actions/         actions.csv: the actions agreed on these audits.
                         evidence.csv: every evidence file of the audits and actions,
                         with its SHA-256. The files are not in the pack (they hold
                         case records); ask for one and check it against its SHA-256.
        report/          {report_words}
        manifest.json    The SHA-256 and size of every other file, the frame hash and
                         the report hash.

        HOW TO CHECK IT

        1. The manifest: CaseAssure shows the SHA-256 of this pack's manifest.json (and of
           the whole zip) on the pack's page and in its history. Compare them.
        2. Every file against the manifest: with CaseAssure, run
             python manage.py check_pack THIS-FILE.zip
           Without it, compute the SHA-256 of each file (sha256sum, or
           Get-FileHash on Windows) and compare with manifest.json.
        3. The sample: in the sampling folder, run the command in recheck.txt:
             {facts["command"]}
           It recomputes the frame hash, the seed and the selection, and prints what
           differs (exit status 1) or that everything matches.
        """
    )
