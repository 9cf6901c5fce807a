"""The reviewer web app (`casereview serve`): Flask, server-rendered jinja2 pages, no CDN."""
