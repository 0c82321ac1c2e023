"""horogen: keeps a Russian horoscope generator fresh."""
