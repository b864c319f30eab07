from providers.imports.command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import the council's register of providers, services and contracts from CSV or XLSX "
        "(columns in docs/imports.md)."
    )
    kind = "register"
