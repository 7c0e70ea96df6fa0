/// The app's own stylesheet and script, served from memory (the machines have no internet: no CDN).
enum Assets {
    static let css = """
        body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f5f6f8; }
        header { display: flex; gap: 1.5em; align-items: center; padding: .6em 1.2em; background: #1d2330; color: #fff; }
        header a { color: #fff; text-decoration: none; }
        header .brand { font-weight: 700; }
        nav { display: flex; gap: 1em; align-items: center; flex: 1; }
        #whoami { margin-left: auto; opacity: .85; }
        main { max-width: 1100px; margin: 1.2em auto; padding: 0 1.2em; }
        footer { text-align: center; color: #667; font-size: 13px; margin: 2em 0; }
        form.inline { display: inline; }
        .card { background: #fff; border: 1px solid #dde; border-radius: 8px; padding: .8em 1em; margin: .8em 0; }
        .card label { display: block; margin: .3em 0; }
        .forms { display: grid; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr)); gap: .8em; }
        .forms .card { margin: 0; }
        table { border-collapse: collapse; width: 100%; background: #fff; margin-bottom: 1em; }
        th, td { text-align: left; padding: .4em .6em; border-bottom: 1px solid #e4e6ea; vertical-align: top; }
        tr[data-state="held"] .padlock, #padlock[data-state="held"] { color: #a33; font-weight: 600; }
        tr[data-state="frozen"] .padlock, #padlock[data-state="frozen"] { color: #6a3fb0; font-weight: 600; }
        tr[data-state="delayed"] .padlock, #padlock[data-state="delayed"] { color: #a60; }
        .error { background: #fde8e8; border-left: 4px solid #c33; padding: .5em .8em; }
        .ok { background: #e6f6ea; border-left: 4px solid #2a8a45; padding: .5em .8em; }
        .info { background: #e8f0fd; border-left: 4px solid #3366cc; padding: .5em .8em; }
        .frozen { background: #efe6fb; border-left: 4px solid #6a3fb0; padding: .5em .8em; }
        .banner { background: #fff3cd; border: 2px solid #d39e00; padding: .6em 1em; border-radius: 6px; }
        .demo { color: #555; }
        dl.values { display: grid; grid-template-columns: 8em 1fr; }
        dl.values dt { color: #667; }
        dl.values dd { margin: 0 0 .3em 0; }
        textarea { width: 100%; font: inherit; }
        input { font: inherit; }
        button { font: inherit; padding: .25em .8em; cursor: pointer; }
        button:disabled { opacity: .45; cursor: not-allowed; }
        """

    static let javascript = """
        (function () {
          'use strict';
          const $ = (selector) => document.querySelector(selector);
          const page = document.body.dataset.page;
          const show = (element, text) => { element.textContent = text; element.hidden = !text; };
          // Every event stream of the page is closed when the page is left: a browser allows six connections per
          // host, and a page kept in the back-forward cache would otherwise hold its streams open.
          const streams = [];
          const EventSource = function (url) { const stream = new window.EventSource(url); streams.push(stream); return stream; };
          addEventListener('pagehide', () => streams.forEach((stream) => stream.close()));
          addEventListener('pageshow', (event) => { if (event.persisted) location.reload(); });

          function listPage() {
            const events = new EventSource('/events/list');
            events.onmessage = (event) => {
              const view = JSON.parse(event.data);
              if (view.key.indexOf('/') < 0) { show($('#tenant'), view.holds.join(' · ')); return; }
              const row = document.querySelector('tr[data-key="' + view.key + '"]');
              if (!row) return;
              row.querySelector('.padlock').textContent = view.text;
              row.dataset.state = view.state;
            };
          }

          function recordPage() {
            const key = document.body.dataset.key;
            const name = document.body.dataset.record;
            let notify = false;
            let ticket = null;
            const events = new EventSource('/events/key?key=' + encodeURIComponent(key));
            events.onmessage = (event) => {
              const view = JSON.parse(event.data);
              window.crmLog = (window.crmLog || []).slice(-50).concat([[Date.now(), view.state, view.text]]);
              const padlock = $('#padlock');
              padlock.textContent = view.text;
              padlock.dataset.state = view.state;
              $('#busy').hidden = view.state === 'free' && ticket === null;
              // A hold refuses edits until it is lifted: there is no line to wait in (the cluster never queues).
              $('#wait').hidden = view.state === 'frozen' || ticket !== null;
              $('#busy-text').textContent = view.state === 'frozen' ? 'A hold keeps it closed. You can:' : 'Someone has it. You can:';
              if (notify && view.state === 'free') {
                notify = false;
                show($('#notify-status'), '');
                $('#notice-text').textContent = name + ' is free now.';
                $('#notice').hidden = false;
                $('#notice').dataset.shownAt = String(Date.now());
              }
            };
            $('#notify').onclick = () => {
              notify = true;
              $('#notice').hidden = true;
              show($('#notify-status'), 'You will be told here as soon as it is free (you are not in line).');
            };
            $('#wait').onclick = async () => {
              const form = new URLSearchParams(new FormData($('#open-form')));
              const answer = await (await fetch(location.pathname + '/wait', { method: 'POST', body: form })).json();
              if (answer.error) { show($('#queue'), answer.error); return; }
              ticket = answer.ticket;
              $('#wait').hidden = true;
              show($('#queue'), 'Joining the line…');
              const line = new EventSource('/waits/' + ticket);
              line.onmessage = (event) => {
                const step = JSON.parse(event.data);
                if (step.position) show($('#queue'), 'You are number ' + step.position + ' in line.');
                if (step.granted) { line.close(); ticket = null; location.href = '/edit/' + step.granted; }
                if (step.failed) { line.close(); ticket = null; show($('#queue'), step.failed); }
              };
            };
            addEventListener('pagehide', () => { if (ticket) navigator.sendBeacon('/waits/' + ticket + '/cancel'); });
          }

          function editPage() {
            const id = document.body.dataset.edit;
            let leaving = false;
            const events = new EventSource('/edit/' + id + '/events');
            events.onmessage = (event) => {
              const lease = JSON.parse(event.data);
              $('#lease').textContent = lease.state;
              if (lease.state !== 'lost' && lease.state !== 'released') return;
              $('#holding').textContent = lease.state === 'lost' ? 'You no longer hold the lock' : 'You released the lock';
              $('#save').disabled = true;
              events.close();
              if (lease.message) {
                $('#banner-text').textContent = lease.message;
                $('#banner').hidden = false;
                $('#banner').dataset.shownAt = String(Date.now());
              }
            };
            async function save() {
              const body = new URLSearchParams(new FormData($('#edit-form')));
              const result = $('#result');
              try {
                const answer = await (await fetch('/edit/' + id + '/save', { method: 'POST', body: body })).json();
                result.textContent = answer.message;
                result.className = answer.ok ? 'ok' : 'error';
                result.dataset.ok = String(answer.ok);
              } catch (error) {
                result.textContent = 'The app server did not answer; your text is kept. (' + error + ')';
                result.className = 'error';
              }
            }
            $('#edit-form').onsubmit = (event) => { event.preventDefault(); save(); };
            $('#save-anyway').onclick = save;
            $('#done').onclick = () => { leaving = true; };
            addEventListener('pagehide', () => { if (!leaving) navigator.sendBeacon('/edit/' + id + '/release'); });
          }

          function adminPage() {
            let pending = null;
            const refresh = () => {
              clearTimeout(pending);
              pending = setTimeout(async () => { $('#panel').innerHTML = await (await fetch('/admin/panel')).text(); }, 150);
            };
            new EventSource('/events/list').onmessage = refresh;
            document.addEventListener('click', (event) => {
              const button = event.target.closest('.use-key');
              if (button) { $('#force-key').value = button.dataset.key; $('#force-reason').focus(); }
            });
          }

          if (page === 'list') listPage();
          if (page === 'record') recordPage();
          if (page === 'edit') editPage();
          if (page === 'admin') adminPage();
        })();
        """
}
