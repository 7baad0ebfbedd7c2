#!/usr/bin/env python3
"""A deliberately vulnerable little shop, for bench/real-tools.ts only.

Listens on 127.0.0.1 only (port from argv[1]). Its SQL is built by string
concatenation on purpose (so that sqlmap and wapiti have something real to
find): GET /item?id= (numeric), GET /search?q= (string), POST /login
(form), and every request's User-Agent is written into a visits table
(a header injection). Data lives in an in-memory SQLite database.
Never run it anywhere else.
"""
import sqlite3
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

db = sqlite3.connect(':memory:', check_same_thread=False)
db.executescript('''
create table items (id integer primary key, name text, price real);
create table users (id integer primary key, name text, password text, email text);
create table visits (ua text, path text);
insert into items values (1, 'Vino Rioja', 12.5), (2, 'Queso Manchego', 9.9), (3, 'Aceite de oliva', 7.25), (4, 'Jamon iberico', 39.0);
insert into users values (1, 'admin', 's3cr3t-hash', 'admin@shop.example'), (2, 'alice', 'a1ice-hash', 'alice@shop.example');
''')


class Shop(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def answer(self, status, text):
        body = text.encode('utf-8')
        self.send_response(status)
        self.send_header('content-type', 'text/html; charset=utf-8')
        self.send_header('content-length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def run(self, sql):
        try:
            return db.execute(sql).fetchall(), None
        except Exception as e:  # the classic error-based leak
            return None, str(e)

    def route(self, method, path, params):
        ua = self.headers.get('user-agent', '')
        _, err = self.run("insert into visits values ('%s', '%s')" % (ua, path.replace("'", "''")))
        if err is not None:
            return self.answer(500, '<h1>Error</h1><pre>%s</pre>' % err)
        if path == '/':
            return self.answer(200, '<h1>Shop</h1><a href="/item?id=1">item</a> <a href="/search?q=vino">search</a> <form method="post" action="/login"><input name="user"><input name="password" type="password"><input type="submit"></form>')
        if path == '/item':
            rows, err = self.run('select name, price from items where id = %s' % params.get('id', ['1'])[0])
        elif path == '/search':
            rows, err = self.run("select name, price from items where name like '%%%s%%'" % params.get('q', [''])[0])
        elif path == '/login' and method == 'POST':
            rows, err = self.run("select name from users where name = '%s' and password = '%s'" % (params.get('user', [''])[0], params.get('password', [''])[0]))
        else:
            return self.answer(404, '<h1>Not found</h1>')
        if err is not None:
            return self.answer(500, '<h1>Error</h1><pre>%s</pre>' % err)
        return self.answer(200, '<ul>' + ''.join('<li>%s</li>' % ' '.join(str(c) for c in r) for r in rows) + '</ul>')

    def do_GET(self):
        u = urlsplit(self.path)
        self.route('GET', u.path, parse_qs(u.query, keep_blank_values=True))

    def do_POST(self):
        n = int(self.headers.get('content-length') or 0)
        body = self.rfile.read(n).decode('utf-8', 'replace') if n > 0 else ''
        u = urlsplit(self.path)
        self.route('POST', u.path, parse_qs(body, keep_blank_values=True))


if __name__ == '__main__':
    server = ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), Shop)
    print('listening', flush=True)
    server.serve_forever()
