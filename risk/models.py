# Models arrive with their issue (see the open issues); the app exists so the layout is fixed.
