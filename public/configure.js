'use strict';
(function () {
  var api = null;
  var signinForm = document.getElementById('signin-form');
  var settingsForm = document.getElementById('settings-form');
  var signinMessage = document.getElementById('signin-message');
  var saveMessage = document.getElementById('save-message');
  var validateMessage = document.getElementById('validate-message');
  var saveButton = document.getElementById('save-button');
  // The six secrets; the archive options are checkboxes of their own.
  var inputs = settingsForm.querySelectorAll('.field input');
  var options = settingsForm.querySelectorAll('input[type=checkbox][name]');

  function showSettings(values) {
    inputs.forEach(function (input) {
      var saved = values[input.name] || '';
      input.value = '';
      input.placeholder = '';
      // One state per field: not set, or the mask of what is saved.
      document.getElementById(input.name + '-saved').textContent = saved ? 'Saved: ' + saved : 'Not set';
    });
    options.forEach(function (box) { box.checked = values[box.name] === true; });
  }

  function refresh() {
    return Promise.all([api.get('/api/Configuration'), api.get('/setup/Validate')]).then(function (results) {
      var config = results[0];
      var validate = results[1];
      if (!config.ok) throw config;
      showSettings(config.data);
      validateMessage.textContent = validate.ok && validate.data
        ? (validate.data.Status ? 'All six settings are saved. Use Test settings to check them with X and Entra.' : validate.data.Message)
        : '';
    });
  }

  signinForm.addEventListener('submit', function (event) {
    event.preventDefault();
    signinMessage.textContent = '';
    var tenantId = document.getElementById('tenant-id').value.trim();
    var secret = document.getElementById('api-secret-key').value;
    if (!tenantId || !secret) {
      signinMessage.textContent = 'Enter both the Tenant Id and the APISecretKey.';
      return;
    }
    api = window.ConnectorApi(tenantId, secret);
    refresh().then(function () {
      document.getElementById('signin-section').hidden = true;
      document.getElementById('settings-section').hidden = false;
      document.getElementById('api-secret-key').value = '';
      inputs[0].focus();
    }, function (res) {
      api = null;
      signinMessage.textContent = window.ConnectorApi.explain(res);
    });
  });

  var testButton = document.getElementById('test-button');
  testButton.addEventListener('click', function () {
    var list = document.getElementById('test-results');
    list.replaceChildren();
    document.getElementById('test-section').hidden = false;
    var li = document.createElement('li');
    li.textContent = 'Asking X and Entra…';
    list.appendChild(li);
    api.post('/api/Configuration/Test', {}).then(function (res) {
      list.replaceChildren();
      if (!res.ok || !res.data) {
        var fail = document.createElement('li');
        fail.className = 'error';
        fail.textContent = window.ConnectorApi.explain(res);
        list.appendChild(fail);
        return;
      }
      res.data.Checks.forEach(function (c) {
        var item = document.createElement('li');
        item.className = c.Ok === true ? 'success' : c.Ok === false ? 'error' : 'muted';
        var label = document.createElement('strong');
        label.textContent = c.Settings.join(' and ') + (c.Ok === true ? ': accepted. ' : c.Ok === false ? ': refused. ' : ': not known. ');
        item.appendChild(label);
        item.appendChild(document.createTextNode(c.Message));
        list.appendChild(item);
      });
      document.getElementById('test-heading').focus();
    });
  });

  document.getElementById('signout-button').addEventListener('click', function () {
    // The credentials lived only in this script: forgetting them is signing out.
    api = null;
    inputs.forEach(function (input) { input.value = ''; });
    document.getElementById('test-results').replaceChildren();
    document.getElementById('test-section').hidden = true;
    saveMessage.textContent = '';
    document.getElementById('settings-section').hidden = true;
    document.getElementById('signin-section').hidden = false;
    document.getElementById('tenant-id').focus();
  });

  settingsForm.addEventListener('submit', function (event) {
    event.preventDefault();
    var body = {};
    inputs.forEach(function (input) { body[input.name] = input.value.trim(); });
    options.forEach(function (box) { body[box.name] = box.checked; });
    saveButton.disabled = true;
    saveMessage.className = '';
    saveMessage.textContent = 'Saving Configuration ...';
    api.post('/api/Configuration', body).then(function (res) {
      saveButton.disabled = false;
      if (!res.ok) {
        saveMessage.className = 'error';
        saveMessage.textContent = window.ConnectorApi.explain(res);
        return;
      }
      return refresh().then(function () {
        saveMessage.className = 'success';
        saveMessage.textContent = 'Configuration Saved Successfully.';
      }, function (res) {
        // Saved, but re-reading failed: say so rather than leave "Saving Configuration ..." forever.
        saveMessage.className = 'error';
        saveMessage.textContent = 'Configuration saved, but reading it back failed: ' + window.ConnectorApi.explain(res || {}) + ' Reload the page to see the saved values.';
      });
    });
  });
})();
