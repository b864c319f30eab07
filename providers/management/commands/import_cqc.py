from providers.imports.command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import the CQC care directory CSV or the CQC ratings file (told apart by their "
        "columns): upsert services by CQC location id, log rating changes as intelligence."
    )
    kind = "cqc"
